// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@prodnet/evm/ReentrancyGuard.sol";

import {ICapacityRegistry} from "../interfaces/ICapacityRegistry.sol";
import {IMembership} from "../interfaces/IMembership.sol";
import {IMarketTypes} from "../interfaces/IProductionOrders.sol";
import {MembershipGated} from "../utils/MembershipGated.sol";
import {PartMath} from "../utils/PartMath.sol";

/// @title MarketLimits
/// @notice The market's fixed limits; IMarketViews reads them out to clients.
library MarketLimits {
    /// @dev Most live jobs (not left, refunded or rejected) an order can have at once.
    uint256 internal constant MAX_LIVE_JOBS = 100;
    /// @dev Most job ids an order gives out: bounds the refund loop of cancel. Using them up
    /// takes 900+ join and leave (or evict) pairs, each paying its deposit for the time it holds.
    uint256 internal constant MAX_JOB_IDS = 1000;
    /// @dev Share of the deposit, in basis points, credited to a producer that rejects a model.
    uint256 internal constant REJECT_FEE_BPS = 1000;
    /// @dev Bounds of the deployment's windows (seconds).
    uint256 internal constant MIN_WINDOW = 1 hours;
    uint256 internal constant MAX_WINDOW = 90 days;
    uint256 internal constant MAX_LEAD_TIME = 365 days;
}

/// @title MarketStorage
/// @notice What every module of the market shares: the deployment's settings, the storage
/// layout, and the checks, lookups and effects more than one step needs.
/// @dev ProductionOrders and ProductionOrdersExtension both derive from this contract alone
/// for their state, so the extension, running by delegatecall, sees the market's storage at
/// the same slots (tests/contracts/test_layout.py compares the two layouts). No module
/// declares state of its own. Order = 4 slots, Job = 2 slots + the digest slot written at
/// submitModel; model URIs live only in events.
abstract contract MarketStorage is IMarketTypes, MembershipGated, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    ICapacityRegistry internal immutable _registry;
    uint256 internal immutable _confirmationWindow;
    uint256 internal immutable _arbitrationWindow;
    uint256 internal immutable _maxLeadTime;
    address internal immutable _tokenAdmin;

    mapping(uint256 orderId => Order) internal _orders;
    mapping(uint256 orderId => mapping(uint256 jobId => Job)) internal _jobs;
    mapping(address account => mapping(address token => uint256)) internal _credits;
    mapping(uint256 orderId => address) internal _arbiters;
    mapping(address token => bool) internal _allowedTokens;
    /// @dev Starts at 1 so ids start at 1 and the first order does not pay for a fresh slot.
    uint256 internal _nextOrderId = 1;

    /// @param registry_ The capacity registry.
    /// @param membership_ Membership contract, or address(0) for public mode.
    /// @param tokenAdmin_ The account that keeps the token allowlist.
    /// @param confirmationWindow_ Seconds a customer has to confirm receipt (or dispute)
    /// before the producer may finalize, in [MIN_WINDOW, MAX_WINDOW] (e.g. 14 days).
    /// @param arbitrationWindow_ Seconds the arbiter has after the confirmation window, in
    /// [MIN_WINDOW, MAX_WINDOW] (e.g. 7 days).
    /// @param maxLeadTime_ Longest deadline - end of an order, in [MIN_WINDOW, MAX_LEAD_TIME].
    constructor(
        ICapacityRegistry registry_,
        IMembership membership_,
        address tokenAdmin_,
        uint256 confirmationWindow_,
        uint256 arbitrationWindow_,
        uint256 maxLeadTime_
    ) MembershipGated(membership_) {
        _checkSetting(confirmationWindow_, MarketLimits.MAX_WINDOW);
        _checkSetting(arbitrationWindow_, MarketLimits.MAX_WINDOW);
        _checkSetting(maxLeadTime_, MarketLimits.MAX_LEAD_TIME);
        _registry = registry_;
        _tokenAdmin = tokenAdmin_;
        _confirmationWindow = confirmationWindow_;
        _arbitrationWindow = arbitrationWindow_;
        _maxLeadTime = maxLeadTime_;
    }

    // ------------------------------------------------------------------ checks

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

    function _checkSetting(uint256 value, uint256 max) private pure {
        if (value < MarketLimits.MIN_WINDOW || value > max) revert InvalidSetting(value, MarketLimits.MIN_WINDOW, max);
    }

    /// @dev min <= capacity <= envelope volume, and capacity > 0.
    function _checkCapacity(uint64 capacity, uint256 min, uint32[3] calldata envelope) internal pure {
        uint256 max = PartMath.boxVolume(envelope);
        if (capacity == 0 || capacity < min || capacity > max) revert InvalidCapacity(capacity, min, max);
    }

    /// @dev Returns the part's build space; reverts with InvalidPart if the part is malformed.
    function _checkPart(uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        internal
        pure
        returns (uint256 space)
    {
        uint256 box = PartMath.boxVolume(dims);
        // partVolume > 0 and <= box also rules out a zero dimension (box would be 0).
        if (quantity == 0 || partVolume == 0 || partVolume > box) revert InvalidPart(dims, partVolume, quantity);
        return box * quantity;
    }

    /// @dev ETH orders need msg.value == deposit; token orders need no ETH.
    function _checkValue(address token, uint256 deposit) internal view {
        uint256 expected = token == address(0) ? deposit : 0;
        if (msg.value != expected) revert WrongPayment(expected, msg.value);
    }

    function _requireJobStatus(uint256 orderId, uint256 jobId, Job storage job, JobStatus wanted) internal view {
        JobStatus status = job.status;
        if (status != wanted) revert WrongJobStatus(orderId, jobId, status);
    }

    // ------------------------------------------------------------------ lookups

    function _order(uint256 orderId) internal view returns (Order storage order) {
        order = _orders[orderId];
        if (order.status == OrderStatus.None) revert OrderNotFound(orderId);
    }

    function _job(uint256 orderId, uint256 jobId) internal view returns (Job storage job) {
        job = _jobs[orderId][jobId];
        if (job.status == JobStatus.None) revert JobNotFound(orderId, jobId);
    }

    /// @dev The order and job, the caller being the job's customer.
    function _customerJob(uint256 orderId, uint256 jobId) internal view returns (Order storage, Job storage job) {
        job = _job(orderId, jobId);
        if (job.customer != msg.sender) revert NotJobCustomer(orderId, jobId, msg.sender);
        return (_orders[orderId], job);
    }

    /// @dev The order, the caller being its producer.
    function _producerOrder(uint256 orderId) internal view returns (Order storage order) {
        order = _order(orderId);
        if (order.producer != msg.sender) revert NotOrderProducer(orderId, msg.sender);
    }

    /// @dev The order and job, the caller being the order's producer.
    function _producerJob(uint256 orderId, uint256 jobId) internal view returns (Order storage, Job storage) {
        return (_producerOrder(orderId), _job(orderId, jobId));
    }

    function _dims(Job storage job) internal view returns (uint32[3] memory) {
        return [job.dimX, job.dimY, job.dimZ];
    }

    function _envelope(Order memory o) internal pure returns (uint32[3] memory) {
        return [o.envX, o.envY, o.envZ];
    }

    // ------------------------------------------------------------------ effects

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
}
