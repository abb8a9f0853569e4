// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {PRODUCER_ROLE, CUSTOMER_ROLE} from "../interfaces/IMembership.sol";
import {IOrderBook} from "../interfaces/IProductionOrders.sol";
import {PartMath} from "../utils/PartMath.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title OrderBook
/// @notice Producers open orders on their machines; customers join them with parts and may
/// leave while they are open; the producer may evict jobs without a model while the order is
/// open; orders close (by the producer, or by anyone after the window) or are cancelled.
abstract contract OrderBook is IOrderBook, MarketSteps {
    using SafeCast for uint256;

    /// @inheritdoc IOrderBook
    function open(
        uint256 machineId,
        uint32[3] calldata envelope,
        uint64 capacity,
        uint40 start,
        uint40 end,
        uint40 deadline,
        uint96 pricePerCm3,
        address token,
        address arbiter
    ) external nonReentrant returns (uint256 orderId) {
        _checkRole(PRODUCER_ROLE);
        bytes16 material = _checkMachine(machineId, envelope);
        _checkWindow(start, end, deadline);
        _checkCapacity(capacity, 0, envelope);
        _checkToken(token);
        _checkArbiter(arbiter);
        orderId = _nextOrderId++;
        _orders[orderId] = Order({
            producer: msg.sender,
            status: OrderStatus.Open,
            machineId: machineId.toUint32(),
            jobCount: 0,
            liveJobs: 0,
            token: token,
            pricePerCm3: pricePerCm3,
            capacity: capacity,
            used: 0,
            start: start,
            end: end,
            deadline: deadline,
            envX: envelope[0],
            envY: envelope[1],
            envZ: envelope[2],
            material: material
        });
        emit OrderOpened(orderId, msg.sender, machineId, capacity, pricePerCm3, token);
        _nameArbiter(orderId, arbiter);
    }

    /// @inheritdoc IOrderBook
    function join(uint256 orderId, uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        external
        payable
        nonReentrant
        returns (uint256 jobId)
    {
        _checkRole(CUSTOMER_ROLE);
        Order storage order = _order(orderId);
        Order memory o = order;
        uint256 deposit;
        (jobId, deposit) = _addJob(orderId, o, dims, partVolume, quantity);
        _takeJoin(orderId, order, o, deposit);
    }

    /// @inheritdoc IOrderBook
    function joinParts(uint256 orderId, Part[] calldata parts)
        external
        payable
        nonReentrant
        returns (uint256 firstJobId)
    {
        _checkRole(CUSTOMER_ROLE);
        if (parts.length == 0) revert EmptyAssembly();
        Order storage order = _order(orderId);
        Order memory o = order;
        firstJobId = o.jobCount + 1;
        uint256 total = 0;
        for (uint256 i; i < parts.length; ++i) {
            Part calldata part = parts[i];
            (, uint256 deposit) = _addJob(orderId, o, part.dims, part.partVolume, part.quantity);
            total += deposit;
        }
        _takeJoin(orderId, order, o, total);
    }

    /// @inheritdoc IOrderBook
    function leave(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        if (order.status != OrderStatus.Open) revert WrongOrderStatus(orderId, order.status);
        _requireJobStatus(orderId, jobId, job, JobStatus.Joined);
        job.status = JobStatus.Left;
        uint256 refund = _release(order, job, job.customer);
        emit JobLeft(orderId, jobId, refund);
    }

    /// @inheritdoc IOrderBook
    function evict(uint256 orderId, uint256[] calldata jobIds) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        Order storage order = _producerOrder(orderId);
        if (order.status != OrderStatus.Open) revert WrongOrderStatus(orderId, order.status);
        for (uint256 i; i < jobIds.length; ++i) {
            uint256 jobId = jobIds[i];
            Job storage job = _job(orderId, jobId);
            _requireJobStatus(orderId, jobId, job, JobStatus.Joined);
            job.status = JobStatus.Refunded;
            uint256 refund = _release(order, job, job.customer);
            emit JobEvicted(orderId, jobId, refund);
        }
    }

    /// @inheritdoc IOrderBook
    function close(uint256 orderId) external nonReentrant {
        Order storage order = _order(orderId);
        if (msg.sender == order.producer) {
            _checkRole(PRODUCER_ROLE);
        } else {
            _checkParticipant();
            if (block.timestamp < order.end) revert NotOrderProducer(orderId, msg.sender);
        }
        if (order.status != OrderStatus.Open) revert WrongOrderStatus(orderId, order.status);
        order.status = OrderStatus.Closed;
        emit OrderClosed(orderId);
    }

    /// @inheritdoc IOrderBook
    function cancel(uint256 orderId) external nonReentrant {
        Order storage order = _order(orderId);
        if (order.status == OrderStatus.Requested) {
            _checkRole(CUSTOMER_ROLE);
            if (msg.sender != _jobs[orderId][1].customer) revert NotJobCustomer(orderId, 1, msg.sender);
        } else {
            _checkRole(PRODUCER_ROLE);
            if (msg.sender != order.producer) revert NotOrderProducer(orderId, msg.sender);
            if (order.status != OrderStatus.Open && order.status != OrderStatus.Closed) {
                revert WrongOrderStatus(orderId, order.status);
            }
        }
        order.status = OrderStatus.Cancelled;
        emit OrderCancelled(orderId);
        _refundAll(orderId, order);
    }

    /// @dev Refunds every joined job of a cancelled order; reverts if one has a model.
    function _refundAll(uint256 orderId, Order storage order) private {
        uint256 count = order.jobCount;
        for (uint256 jobId = 1; jobId <= count; ++jobId) {
            Job storage job = _jobs[orderId][jobId];
            JobStatus status = job.status;
            if (status == JobStatus.ModelSubmitted) revert ModelReceived(orderId, jobId);
            if (
                status == JobStatus.Shipped || status == JobStatus.Completed || status == JobStatus.Disputed
                    || status == JobStatus.Resolved
            ) revert AlreadyShipped(orderId, jobId);
            if (status == JobStatus.Joined) {
                job.status = JobStatus.Refunded;
                uint256 refund = _release(order, job, job.customer);
                emit JobRefunded(orderId, jobId, refund);
            }
        }
    }
}
