// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PRODUCER_ROLE, CUSTOMER_ROLE} from "../interfaces/IMembership.sol";
import {IFulfilment} from "../interfaces/IProductionOrders.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title Fulfilment
/// @notice From a closed order to completed jobs: the customer records its encrypted model,
/// the producer ships before the deadline, the customer confirms (or the producer finalizes
/// after the confirmation window); a job not shipped by the deadline is reclaimed.
abstract contract Fulfilment is IFulfilment, MarketSteps {
    /// @inheritdoc IFulfilment
    function submitModel(uint256 orderId, uint256 jobId, bytes32 sha256Digest, string calldata uri)
        external
        nonReentrant
    {
        _checkRole(CUSTOMER_ROLE);
        _recordModel(orderId, jobId, sha256Digest, uri);
    }

    /// @inheritdoc IFulfilment
    function ship(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        (Order storage order, Job storage job) = _producerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.ModelSubmitted);
        uint40 deadline = order.deadline;
        if (block.timestamp >= deadline) revert DeliveryDeadlinePassed(orderId, deadline);
        job.status = JobStatus.Shipped;
        job.shippedAt = uint40(block.timestamp);
        emit JobShipped(orderId, jobId);
    }

    /// @inheritdoc IFulfilment
    function confirmReceipt(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        JobStatus status = job.status;
        if (status != JobStatus.Shipped && status != JobStatus.Disputed) revert WrongJobStatus(orderId, jobId, status);
        _complete(orderId, jobId, order, job, true);
    }

    /// @inheritdoc IFulfilment
    function finalize(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        (Order storage order, Job storage job) = _producerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Shipped);
        uint256 until = uint256(job.shippedAt) + _confirmationWindow;
        if (block.timestamp < until) revert ConfirmationWindowOpen(orderId, jobId, until);
        _complete(orderId, jobId, order, job, false);
    }

    /// @inheritdoc IFulfilment
    function reclaim(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        if (job.status != JobStatus.Joined && job.status != JobStatus.ModelSubmitted) {
            revert WrongJobStatus(orderId, jobId, job.status);
        }
        uint40 deadline = order.deadline;
        if (block.timestamp < deadline) revert DeliveryDeadlineNotPassed(orderId, deadline);
        job.status = JobStatus.Refunded;
        uint256 refund = _release(order, job, job.customer);
        emit JobRefunded(orderId, jobId, refund);
        if (order.status == OrderStatus.Requested) {
            order.status = OrderStatus.Cancelled;
            emit OrderCancelled(orderId);
        }
    }

    /// @dev Completes a shipped job: its deposit goes to the producer.
    function _complete(uint256 orderId, uint256 jobId, Order storage order, Job storage job, bool confirmed) private {
        job.status = JobStatus.Completed;
        uint256 payment = job.deposit;
        if (payment != 0) _credits[order.producer][order.token] += payment;
        emit JobCompleted(orderId, jobId, payment, confirmed);
    }
}
