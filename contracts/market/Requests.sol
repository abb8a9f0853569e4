// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {PRODUCER_ROLE, CUSTOMER_ROLE} from "../interfaces/IMembership.sol";
import {IRequests} from "../interfaces/IProductionOrders.sol";
import {PartMath} from "../utils/PartMath.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title Requests
/// @notice A customer asks for a part to be made (a Requested order whose job 1 is the part,
/// paid at the customer's maximum price); a producer takes it with a machine at a price up to
/// that maximum, and the difference is credited back.
abstract contract Requests is IRequests, MarketSteps {
    using SafeCast for uint256;

    /// @inheritdoc IRequests
    function request(
        bytes16 material,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity,
        uint96 maxPricePerCm3,
        address token,
        uint40 end,
        uint40 deadline,
        address arbiter
    ) external payable nonReentrant returns (uint256 orderId) {
        _checkRole(CUSTOMER_ROLE);
        _checkWindow(uint40(block.timestamp), end, deadline);
        _checkToken(token);
        _checkArbiter(arbiter);
        uint64 space = _checkPart(dims, partVolume, quantity).toUint64();
        uint256 deposit = PartMath.price(maxPricePerCm3, space);
        _checkValue(token, deposit);
        orderId = _nextOrderId++;
        _orders[orderId] = Order({
            producer: address(0),
            status: OrderStatus.Requested,
            machineId: 0,
            jobCount: 1,
            liveJobs: 1,
            token: token,
            pricePerCm3: maxPricePerCm3,
            capacity: space,
            used: space,
            start: uint40(block.timestamp),
            end: end,
            deadline: deadline,
            envX: dims[0],
            envY: dims[1],
            envZ: dims[2],
            material: material
        });
        _storeJob(orderId, 1, dims, partVolume, quantity, deposit);
        emit OrderRequested(orderId, msg.sender, material, maxPricePerCm3, token);
        emit JobJoined(orderId, 1, msg.sender, space, deposit);
        _nameArbiter(orderId, arbiter);
        _pullDeposit(token, deposit);
    }

    /// @inheritdoc IRequests
    function take(
        uint256 orderId,
        uint256 machineId,
        uint32[3] calldata envelope,
        uint64 capacity,
        uint96 pricePerCm3
    ) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        Order storage order = _order(orderId);
        if (order.status != OrderStatus.Requested) revert WrongOrderStatus(orderId, order.status);
        if (block.timestamp >= order.end) revert WindowOver(orderId, order.end);
        bytes16 material = _checkMachine(machineId, envelope);
        if (order.material != 0 && order.material != material) revert MaterialMismatch(order.material, material);
        if (pricePerCm3 > order.pricePerCm3) revert PriceAboveMax(pricePerCm3, order.pricePerCm3);
        Job storage job = _jobs[orderId][1];
        if (!PartMath.fits(_dims(job), envelope)) revert DoesNotFit(_dims(job), envelope);
        _checkCapacity(capacity, order.used, envelope);

        bool full = capacity == order.used;
        order.producer = msg.sender;
        order.status = full ? OrderStatus.Closed : OrderStatus.Open;
        order.machineId = machineId.toUint32();
        order.pricePerCm3 = pricePerCm3;
        order.capacity = capacity;
        (order.envX, order.envY, order.envZ) = (envelope[0], envelope[1], envelope[2]);
        order.material = material;
        uint256 refund = _reprice(order, job);
        emit OrderTaken(orderId, msg.sender, machineId, capacity, pricePerCm3, refund);
        if (full) emit OrderClosed(orderId);
    }

    /// @dev Sets job 1's deposit to its price at the order's (new) price; credits the excess back.
    function _reprice(Order storage order, Job storage job) private returns (uint256 refund) {
        uint256 deposit = PartMath.price(order.pricePerCm3, PartMath.buildSpace(_dims(job), job.quantity));
        refund = job.deposit - deposit;
        job.deposit = uint88(deposit);
        if (refund != 0) _credits[job.customer][order.token] += refund;
    }
}
