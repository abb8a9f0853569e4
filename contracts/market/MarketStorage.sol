// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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
    /// @dev Longest reason a dispute carries (bytes of UTF-8): a sentence for the arbiter, kept
    /// in the JobDisputed event only (never in storage).
    uint256 internal constant MAX_REASON_BYTES = 280;
    /// @dev Bounds of the deployment's windows (seconds).
    uint256 internal constant MIN_WINDOW = 1 hours;
    uint256 internal constant MAX_WINDOW = 90 days;
    uint256 internal constant MAX_LEAD_TIME = 365 days;
}

/// @title MarketStorage
/// @notice What every module of the market shares: the deployment's settings, the storage
/// layout and the lookups (MarketSteps adds the checks and effects of the state changes).
/// @dev ProductionOrders and ProductionOrdersExtension both derive from this contract alone
/// for their state, so the extension, running by delegatecall, sees the market's storage at
/// the same slots (tests/contracts/test_layout.py compares the two layouts). No module
/// declares state of its own. Order = 4 slots, Job = 2 slots + the digest slot written at
/// submitModel; model URIs live only in events.
abstract contract MarketStorage is IMarketTypes, MembershipGated, ReentrancyGuard {
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

    function _checkSetting(uint256 value, uint256 max) private pure {
        if (value < MarketLimits.MIN_WINDOW || value > max) revert InvalidSetting(value, MarketLimits.MIN_WINDOW, max);
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

}
