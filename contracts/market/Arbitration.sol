// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMembership, PRODUCER_ROLE, CUSTOMER_ROLE, ARBITER_ROLE} from "../interfaces/IMembership.sol";
import {IArbitration} from "../interfaces/IProductionOrders.sol";
import {MarketLimits} from "./MarketStorage.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title Arbitration
/// @notice When a job goes wrong: the producer may reject a model that does not match the
/// job's public data (for a fee), the customer may dispute a shipped job within the
/// confirmation window, the order's arbiter splits the deposit, and after the arbitration
/// window anyone may settle by the default rule (a full refund).
abstract contract Arbitration is IArbitration, MarketSteps {
    /// @inheritdoc IArbitration
    function reject(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        (Order storage order, Job storage job) = _producerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.ModelSubmitted);
        uint40 deadline = order.deadline;
        if (block.timestamp >= deadline) revert DeliveryDeadlinePassed(orderId, deadline);
        job.status = JobStatus.Rejected;
        uint256 deposit = _release(order, job, address(0));
        uint256 fee = deposit * MarketLimits.REJECT_FEE_BPS / 10_000;
        _split(order, job, fee, deposit);
        emit JobRejected(orderId, jobId, fee, deposit - fee);
    }

    /// @inheritdoc IArbitration
    function dispute(uint256 orderId, uint256 jobId, string calldata reason) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (, Job storage job) = _customerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Shipped);
        uint256 until = uint256(job.shippedAt) + _confirmationWindow;
        if (block.timestamp >= until) revert ConfirmationWindowOver(orderId, jobId, until);
        uint256 length = bytes(reason).length;
        if (length == 0 || length > MarketLimits.MAX_REASON_BYTES) {
            revert InvalidReason(length, MarketLimits.MAX_REASON_BYTES);
        }
        job.status = JobStatus.Disputed;
        emit JobDisputed(orderId, jobId, reason);
    }

    /// @inheritdoc IArbitration
    function resolve(uint256 orderId, uint256 jobId, uint256 toProducer) external nonReentrant {
        Order storage order = _order(orderId);
        Job storage job = _job(orderId, jobId);
        IMembership m = membership;
        bool arbiter = address(m) == address(0) ? msg.sender == _arbiters[orderId] : m.hasRole(ARBITER_ROLE, msg.sender);
        if (!arbiter || msg.sender == order.producer || msg.sender == job.customer) {
            revert NotArbiter(orderId, msg.sender);
        }
        _requireJobStatus(orderId, jobId, job, JobStatus.Disputed);
        uint256 deposit = job.deposit;
        if (toProducer > deposit) revert SplitTooLarge(toProducer, deposit);
        job.status = JobStatus.Resolved;
        _split(order, job, toProducer, deposit);
        emit JobResolved(orderId, jobId, msg.sender, toProducer, deposit - toProducer);
    }

    /// @inheritdoc IArbitration
    function settle(uint256 orderId, uint256 jobId) external nonReentrant {
        Order storage order = _order(orderId);
        Job storage job = _job(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Disputed);
        uint256 until = uint256(job.shippedAt) + _confirmationWindow + _arbitrationWindow;
        if (block.timestamp < until) revert ArbitrationWindowOpen(orderId, jobId, until);
        job.status = JobStatus.Resolved;
        uint256 deposit = job.deposit;
        _split(order, job, 0, deposit);
        emit JobResolved(orderId, jobId, address(0), 0, deposit);
    }

    /// @inheritdoc IArbitration
    function arbiterOf(uint256 orderId) external view returns (address) {
        return _arbiters[orderId];
    }
}
