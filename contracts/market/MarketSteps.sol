// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICapacityRegistry} from "../interfaces/ICapacityRegistry.sol";
import {PartMath} from "../utils/PartMath.sol";
import {JobSteps} from "./JobSteps.sol";
import {MarketLimits} from "./MarketStorage.sol";

/// @title MarketSteps
/// @notice The checks and effects more than one state-changing step shares: machines,
/// windows, tokens, arbiters, capacity, payment, storing a job, releasing and splitting a
/// deposit, pulling an ERC-20. Only the modules of ProductionOrders derive from it (the
/// extension's views need the storage alone); it declares no state.
abstract contract MarketSteps is JobSteps {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @dev The caller must own machine `machineId` and `envelope` must fit in it.
    function _checkMachine(uint256 machineId, uint32[3] calldata envelope) internal view returns (bytes16) {
        ICapacityRegistry.Machine memory m = _registry.machine(machineId);
        if (m.owner != msg.sender) revert NotMachineOwner(machineId, msg.sender);
        uint32[3] memory machineEnvelope = [m.x, m.y, m.z];
        if (!PartMath.fits(envelope, machineEnvelope)) revert EnvelopeTooLarge(envelope, machineEnvelope);
        return m.material;
    }

    function _checkWindow(uint40 start, uint40 end, uint40 deadline) internal view {
        if (start >= end || end <= block.timestamp || deadline <= end || deadline - end > _maxLeadTime) {
            revert InvalidWindow(start, end, deadline, _maxLeadTime);
        }
    }

    function _checkToken(address token) internal view {
        if (token != address(0) && !_allowedTokens[token]) revert TokenNotAllowed(token);
    }

    /// @dev An arbiter is named only in public mode, and never by itself (address(0): none).
    function _checkArbiter(address arbiter) internal view {
        if (arbiter != address(0) && (address(membership) != address(0) || arbiter == msg.sender)) {
            revert CannotNameArbiter(msg.sender, arbiter);
        }
    }

    /// @dev min <= capacity <= envelope volume, and capacity > 0.
    function _checkCapacity(uint64 capacity, uint256 min, uint32[3] calldata envelope) internal pure {
        uint256 max = PartMath.boxVolume(envelope);
        if (capacity == 0 || capacity < min || capacity > max) revert InvalidCapacity(capacity, min, max);
    }

    /// @dev ETH orders need msg.value == deposit; token orders need no ETH.
    function _checkValue(address token, uint256 deposit) internal view {
        uint256 expected = token == address(0) ? deposit : 0;
        if (msg.value != expected) revert WrongPayment(expected, msg.value);
    }

    function _storeJob(
        uint256 orderId,
        uint256 jobId,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity,
        uint256 deposit
    ) internal {
        // Field by field: assigning a whole Job would also write its (still zero) digest slot.
        Job storage job = _jobs[orderId][jobId];
        (job.customer, job.status, job.deposit) = (msg.sender, JobStatus.Joined, deposit.toUint88());
        (job.dimX, job.dimY, job.dimZ) = (dims[0], dims[1], dims[2]);
        (job.partVolume, job.quantity) = (partVolume, quantity);
    }

    /// @dev Records the order's arbiter (checked by _checkArbiter); none for address(0).
    function _nameArbiter(uint256 orderId, address arbiter) internal {
        if (arbiter == address(0)) return;
        _arbiters[orderId] = arbiter;
        emit ArbiterNamed(orderId, arbiter);
    }

    /// @dev Frees the job's build space and live slot; credits its deposit to `to` (none: address(0)).
    function _release(Order storage order, Job storage job, address to) internal returns (uint256 amount) {
        order.used -= uint64(PartMath.buildSpace(_dims(job), job.quantity));
        --order.liveJobs;
        amount = job.deposit;
        if (amount != 0 && to != address(0)) _credits[to][order.token] += amount;
    }

    /// @dev Credits `toProducer` of the job's `deposit` to the producer and the rest to the customer.
    function _split(Order storage order, Job storage job, uint256 toProducer, uint256 deposit) internal {
        address token = order.token;
        if (toProducer != 0) _credits[order.producer][token] += toProducer;
        if (deposit != toProducer) _credits[job.customer][token] += deposit - toProducer;
    }

    /// @dev Pulls an ERC-20 deposit and checks the amount received (no fee-on-transfer tokens).
    function _pullDeposit(address token, uint256 deposit) internal {
        if (token == address(0) || deposit == 0) return;
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), deposit);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received != deposit) revert WrongPayment(deposit, received);
    }

    function _checkJoinable(uint256 orderId, Order memory o) internal view {
        if (o.status != OrderStatus.Open) revert WrongOrderStatus(orderId, o.status);
        if (block.timestamp < o.start) revert WindowNotStarted(orderId, o.start);
        if (block.timestamp >= o.end) revert WindowOver(orderId, o.end);
        if (o.liveJobs >= MarketLimits.MAX_LIVE_JOBS) revert TooManyJobs(orderId, MarketLimits.MAX_LIVE_JOBS);
        if (o.jobCount >= MarketLimits.MAX_JOB_IDS) revert TooManyJobs(orderId, MarketLimits.MAX_JOB_IDS);
    }

    /// @dev Checks one part against the order as `o` has it (the parts before it included),
    /// stores it as the next job and counts it in `o` (written back by _takeJoin).
    function _addJob(
        uint256 orderId,
        Order memory o,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity
    ) internal returns (uint256 jobId, uint256 deposit) {
        _checkJoinable(orderId, o);
        uint64 space = _checkSpace(orderId, o, dims, partVolume, quantity);
        deposit = PartMath.price(o.pricePerCm3, space);
        jobId = ++o.jobCount;
        ++o.liveJobs;
        o.used += space;
        _storeJob(orderId, jobId, dims, partVolume, quantity, deposit);
        emit JobJoined(orderId, jobId, msg.sender, space, deposit);
    }

    /// @dev The payment for the jobs _addJob counted in `o`, the order's counters written back,
    /// the order closed if they used up its capacity, then the ERC-20 deposit pulled.
    function _takeJoin(uint256 orderId, Order storage order, Order memory o, uint256 deposit) internal {
        _checkValue(o.token, deposit);
        bool full = o.used == o.capacity;
        order.jobCount = o.jobCount;
        order.liveJobs = o.liveJobs;
        order.used = o.used;
        if (full) {
            order.status = OrderStatus.Closed;
            emit OrderClosed(orderId);
        }
        _pullDeposit(o.token, deposit);
    }

    /// @dev Returns the job's build space if the part is well formed, fits and has room.
    function _checkSpace(
        uint256 orderId,
        Order memory o,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity
    ) internal pure returns (uint64) {
        uint256 space = _checkPart(dims, partVolume, quantity);
        uint32[3] memory envelope = _envelope(o);
        if (!PartMath.fits(dims, envelope)) revert DoesNotFit(dims, envelope);
        uint64 left = o.capacity - o.used;
        if (space > left) revert NoSpaceLeft(orderId, space, left);
        return uint64(space);
    }

}
