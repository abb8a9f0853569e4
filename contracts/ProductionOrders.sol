// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@prodnet/evm/ReentrancyGuard.sol";

import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IMembership, PRODUCER_ROLE, CUSTOMER_ROLE, ARBITER_ROLE} from "./interfaces/IMembership.sol";
import {IProductionOrders} from "./interfaces/IProductionOrders.sol";
import {MembershipGated} from "./utils/MembershipGated.sol";
import {PartMath} from "./utils/PartMath.sol";

/// @title ProductionOrders
/// @notice Production orders for additive manufacturing: a producer's capacity slot on a
/// registered machine (an order) shared by customers' parts (jobs) until it is used up,
/// with deposits in escrow (ETH or one allowed ERC-20 per order), pull payments, a
/// producer's reject of a mismatched model and disputes settled by an arbiter.
/// @dev State machine in docs/DESIGN.md, "The contract state machine"; units and encodings in
/// IProductionOrders and docs/DESIGN.md, "Units and encodings".
/// Order = 4 storage slots, Job = 2 slots + the digest slot written at submitModel; model
/// URIs live only in events. Every mutating function is nonReentrant and follows
/// checks-effects-interactions; value leaves only through withdraw.
contract ProductionOrders is IProductionOrders, MembershipGated, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Most live jobs (not left, refunded or rejected) an order can have at once.
    uint256 public constant MAX_LIVE_JOBS = 100;
    /// @notice Most job ids an order gives out: bounds the refund loop of cancel. Using them
    /// up takes 900+ join and leave pairs, each paying its deposit for the time it holds.
    uint256 public constant MAX_JOB_IDS = 1000;
    /// @notice Share of the deposit, in basis points, credited to a producer that rejects a model.
    uint256 public constant REJECT_FEE_BPS = 1000;
    /// @notice Bounds of the deployment's windows (seconds).
    uint256 public constant MIN_WINDOW = 1 hours;
    uint256 public constant MAX_WINDOW = 90 days;
    uint256 public constant MAX_LEAD_TIME = 365 days;

    /// @notice The registry whose machines orders run on.
    ICapacityRegistry public immutable registry;
    /// @notice Seconds after shipment during which only the customer can complete (or
    /// dispute) a job.
    uint256 public immutable confirmationWindow;
    /// @notice Seconds after the confirmation window during which the arbiter may resolve a
    /// dispute; after it the default rule (full refund) applies.
    uint256 public immutable arbitrationWindow;
    /// @notice Longest time between an order's window end and its delivery deadline: no
    /// deposit is locked longer than end + maxLeadTime (+ the two windows once shipped).
    uint256 public immutable maxLeadTime;
    /// @notice The account that keeps the token allowlist.
    address public immutable tokenAdmin;

    mapping(uint256 orderId => Order) private _orders;
    mapping(uint256 orderId => mapping(uint256 jobId => Job)) private _jobs;
    mapping(address account => mapping(address token => uint256)) private _credits;
    mapping(uint256 orderId => address) private _arbiters;
    mapping(address token => bool) private _allowedTokens;
    /// @dev Starts at 1 so ids start at 1 and the first order does not pay for a fresh slot.
    uint256 private _nextOrderId = 1;

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
        _checkSetting(confirmationWindow_, MAX_WINDOW);
        _checkSetting(arbitrationWindow_, MAX_WINDOW);
        _checkSetting(maxLeadTime_, MAX_LEAD_TIME);
        registry = registry_;
        tokenAdmin = tokenAdmin_;
        confirmationWindow = confirmationWindow_;
        arbitrationWindow = arbitrationWindow_;
        maxLeadTime = maxLeadTime_;
    }

    // ------------------------------------------------------------------ order creation

    /// @inheritdoc IProductionOrders
    function open(
        uint256 machineId,
        uint32[3] calldata envelope,
        uint64 capacity,
        uint40 start,
        uint40 end,
        uint40 deadline,
        uint96 pricePerCm3,
        address token
    ) external nonReentrant returns (uint256 orderId) {
        _checkRole(PRODUCER_ROLE);
        bytes16 material = _checkMachine(machineId, envelope);
        _checkWindow(start, end, deadline);
        _checkCapacity(capacity, 0, envelope);
        _checkToken(token);
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
    }

    /// @inheritdoc IProductionOrders
    function request(
        bytes16 material,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity,
        uint96 maxPricePerCm3,
        address token,
        uint40 end,
        uint40 deadline
    ) external payable nonReentrant returns (uint256 orderId) {
        _checkRole(CUSTOMER_ROLE);
        _checkWindow(uint40(block.timestamp), end, deadline);
        _checkToken(token);
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
        _pullDeposit(token, deposit);
    }

    /// @inheritdoc IProductionOrders
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

    // ------------------------------------------------------------------ joining and leaving

    /// @inheritdoc IProductionOrders
    function join(uint256 orderId, uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        external
        payable
        nonReentrant
        returns (uint256 jobId)
    {
        _checkRole(CUSTOMER_ROLE);
        Order storage order = _order(orderId);
        Order memory o = order;
        _checkJoinable(orderId, o);
        uint64 space = _checkSpace(orderId, o, dims, partVolume, quantity);
        uint256 deposit = PartMath.price(o.pricePerCm3, space);
        _checkValue(o.token, deposit);

        jobId = o.jobCount + 1;
        uint64 used = o.used + space;
        bool full = used == o.capacity;
        order.jobCount = uint32(jobId);
        order.liveJobs = o.liveJobs + 1;
        order.used = used;
        if (full) order.status = OrderStatus.Closed;
        _storeJob(orderId, jobId, dims, partVolume, quantity, deposit);
        emit JobJoined(orderId, jobId, msg.sender, space, deposit);
        if (full) emit OrderClosed(orderId);
        _pullDeposit(o.token, deposit);
    }

    /// @inheritdoc IProductionOrders
    function leave(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        if (order.status != OrderStatus.Open) revert WrongOrderStatus(orderId, order.status);
        _requireJobStatus(orderId, jobId, job, JobStatus.Joined);
        job.status = JobStatus.Left;
        uint256 refund = _release(order, job, job.customer);
        emit JobLeft(orderId, jobId, refund);
    }

    // ------------------------------------------------------------------ closing and cancelling

    /// @inheritdoc IProductionOrders
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

    /// @inheritdoc IProductionOrders
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

    // ------------------------------------------------------------------ model, shipment, completion

    /// @inheritdoc IProductionOrders
    function submitModel(uint256 orderId, uint256 jobId, bytes32 sha256Digest, string calldata uri)
        external
        nonReentrant
    {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        if (order.status != OrderStatus.Closed) revert WrongOrderStatus(orderId, order.status);
        _requireJobStatus(orderId, jobId, job, JobStatus.Joined);
        if (sha256Digest == 0 || bytes(uri).length == 0) revert EmptyModel();
        job.status = JobStatus.ModelSubmitted;
        job.digest = sha256Digest;
        emit ModelSubmitted(orderId, jobId, sha256Digest, uri);
    }

    /// @inheritdoc IProductionOrders
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

    /// @inheritdoc IProductionOrders
    function confirmReceipt(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        JobStatus status = job.status;
        if (status != JobStatus.Shipped && status != JobStatus.Disputed) revert WrongJobStatus(orderId, jobId, status);
        _complete(orderId, jobId, order, job, true);
    }

    /// @inheritdoc IProductionOrders
    function finalize(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        (Order storage order, Job storage job) = _producerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Shipped);
        uint256 until = uint256(job.shippedAt) + confirmationWindow;
        if (block.timestamp < until) revert ConfirmationWindowOpen(orderId, jobId, until);
        _complete(orderId, jobId, order, job, false);
    }

    /// @inheritdoc IProductionOrders
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

    /// @inheritdoc IProductionOrders
    function reject(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(PRODUCER_ROLE);
        (Order storage order, Job storage job) = _producerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.ModelSubmitted);
        uint40 deadline = order.deadline;
        if (block.timestamp >= deadline) revert DeliveryDeadlinePassed(orderId, deadline);
        job.status = JobStatus.Rejected;
        uint256 deposit = _release(order, job, address(0));
        uint256 fee = deposit * REJECT_FEE_BPS / 10_000;
        _split(order, job, fee, deposit);
        emit JobRejected(orderId, jobId, fee, deposit - fee);
    }

    /// @inheritdoc IProductionOrders
    function dispute(uint256 orderId, uint256 jobId) external nonReentrant {
        _checkRole(CUSTOMER_ROLE);
        (, Job storage job) = _customerJob(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Shipped);
        uint256 until = uint256(job.shippedAt) + confirmationWindow;
        if (block.timestamp >= until) revert ConfirmationWindowOver(orderId, jobId, until);
        job.status = JobStatus.Disputed;
        emit JobDisputed(orderId, jobId);
    }

    /// @inheritdoc IProductionOrders
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

    /// @inheritdoc IProductionOrders
    function settle(uint256 orderId, uint256 jobId) external nonReentrant {
        Order storage order = _order(orderId);
        Job storage job = _job(orderId, jobId);
        _requireJobStatus(orderId, jobId, job, JobStatus.Disputed);
        uint256 until = _arbitrationEnd(job);
        if (block.timestamp < until) revert ArbitrationWindowOpen(orderId, jobId, until);
        job.status = JobStatus.Resolved;
        uint256 deposit = job.deposit;
        _split(order, job, 0, deposit);
        emit JobResolved(orderId, jobId, address(0), 0, deposit);
    }

    // ------------------------------------------------------------------ terms

    /// @inheritdoc IProductionOrders
    function nameArbiter(uint256 orderId, address arbiter) external nonReentrant {
        Order storage order = _order(orderId);
        OrderStatus status = order.status;
        bool setsTerms = status == OrderStatus.Open
            ? msg.sender == order.producer && order.jobCount == 0
            : status == OrderStatus.Requested && msg.sender == _jobs[orderId][1].customer;
        if (
            address(membership) != address(0) || !setsTerms || arbiter == address(0) || arbiter == msg.sender
                || _arbiters[orderId] != address(0)
        ) revert CannotNameArbiter(orderId, arbiter);
        _arbiters[orderId] = arbiter;
        emit ArbiterNamed(orderId, arbiter);
    }

    /// @inheritdoc IProductionOrders
    function allowToken(address token, bool allowed) external {
        if (msg.sender != tokenAdmin) revert NotTokenAdmin(msg.sender);
        _allowedTokens[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    // ------------------------------------------------------------------ payments

    /// @inheritdoc IProductionOrders
    function withdraw(address token) external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        _credits[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, amount);
        if (token == address(0)) {
            Address.sendValue(payable(msg.sender), amount);
        } else {
            IERC20(token).safeTransfer(msg.sender, amount);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IProductionOrders
    function getOrder(uint256 orderId) external view returns (Order memory) {
        return _order(orderId);
    }

    /// @inheritdoc IProductionOrders
    function getJob(uint256 orderId, uint256 jobId) external view returns (Job memory) {
        return _job(orderId, jobId);
    }

    /// @inheritdoc IProductionOrders
    function orderCount() external view returns (uint256) {
        return _nextOrderId - 1;
    }

    /// @inheritdoc IProductionOrders
    function jobCount(uint256 orderId) external view returns (uint256) {
        return _order(orderId).jobCount;
    }

    /// @inheritdoc IProductionOrders
    function spaceLeft(uint256 orderId) external view returns (uint256) {
        Order storage order = _order(orderId);
        return order.capacity - order.used;
    }

    /// @inheritdoc IProductionOrders
    function quote(uint256 orderId, uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        external
        view
        returns (bool fits, uint256 buildSpace, uint256 price)
    {
        Order memory o = _order(orderId);
        buildSpace = _checkPart(dims, partVolume, quantity);
        price = PartMath.price(o.pricePerCm3, buildSpace);
        fits = PartMath.fits(dims, _envelope(o)) && buildSpace <= o.capacity - o.used;
    }

    /// @inheritdoc IProductionOrders
    function credits(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc IProductionOrders
    function arbiterOf(uint256 orderId) external view returns (address) {
        return _arbiters[orderId];
    }

    /// @inheritdoc IProductionOrders
    function tokenAllowed(address token) external view returns (bool) {
        return token == address(0) || _allowedTokens[token];
    }

    // ------------------------------------------------------------------ checks

    /// @dev The caller must own machine `machineId` and `envelope` must fit in it.
    function _checkMachine(uint256 machineId, uint32[3] calldata envelope) private view returns (bytes16) {
        ICapacityRegistry.Machine memory m = registry.machine(machineId);
        if (m.owner != msg.sender) revert NotMachineOwner(machineId, msg.sender);
        uint32[3] memory machineEnvelope = [m.x, m.y, m.z];
        if (!PartMath.fits(envelope, machineEnvelope)) revert EnvelopeTooLarge(envelope, machineEnvelope);
        return m.material;
    }

    function _checkWindow(uint40 start, uint40 end, uint40 deadline) private view {
        if (start >= end || end <= block.timestamp || deadline <= end || deadline - end > maxLeadTime) {
            revert InvalidWindow(start, end, deadline, maxLeadTime);
        }
    }

    function _checkToken(address token) private view {
        if (token != address(0) && !_allowedTokens[token]) revert TokenNotAllowed(token);
    }

    function _checkSetting(uint256 value, uint256 max) private pure {
        if (value < MIN_WINDOW || value > max) revert InvalidSetting(value, MIN_WINDOW, max);
    }

    /// @dev min <= capacity <= envelope volume, and capacity > 0.
    function _checkCapacity(uint64 capacity, uint256 min, uint32[3] calldata envelope) private pure {
        uint256 max = PartMath.boxVolume(envelope);
        if (capacity == 0 || capacity < min || capacity > max) revert InvalidCapacity(capacity, min, max);
    }

    /// @dev Returns the part's build space; reverts with InvalidPart if the part is malformed.
    function _checkPart(uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        private
        pure
        returns (uint256 space)
    {
        uint256 box = PartMath.boxVolume(dims);
        // partVolume > 0 and <= box also rules out a zero dimension (box would be 0).
        if (quantity == 0 || partVolume == 0 || partVolume > box) revert InvalidPart(dims, partVolume, quantity);
        return box * quantity;
    }

    function _checkJoinable(uint256 orderId, Order memory o) private view {
        if (o.status != OrderStatus.Open) revert WrongOrderStatus(orderId, o.status);
        if (block.timestamp < o.start) revert WindowNotStarted(orderId, o.start);
        if (block.timestamp >= o.end) revert WindowOver(orderId, o.end);
        if (o.liveJobs >= MAX_LIVE_JOBS) revert TooManyJobs(orderId, MAX_LIVE_JOBS);
        if (o.jobCount >= MAX_JOB_IDS) revert TooManyJobs(orderId, MAX_JOB_IDS);
    }

    /// @dev Returns the job's build space if the part is well formed, fits and has room.
    function _checkSpace(
        uint256 orderId,
        Order memory o,
        uint32[3] calldata dims,
        uint64 partVolume,
        uint32 quantity
    ) private pure returns (uint64) {
        uint256 space = _checkPart(dims, partVolume, quantity);
        uint32[3] memory envelope = _envelope(o);
        if (!PartMath.fits(dims, envelope)) revert DoesNotFit(dims, envelope);
        uint64 left = o.capacity - o.used;
        if (space > left) revert NoSpaceLeft(orderId, space, left);
        return uint64(space);
    }

    /// @dev ETH orders need msg.value == deposit; token orders need no ETH.
    function _checkValue(address token, uint256 deposit) private view {
        uint256 expected = token == address(0) ? deposit : 0;
        if (msg.value != expected) revert WrongPayment(expected, msg.value);
    }

    function _requireJobStatus(uint256 orderId, uint256 jobId, Job storage job, JobStatus wanted) private view {
        JobStatus status = job.status;
        if (status != wanted) revert WrongJobStatus(orderId, jobId, status);
    }

    // ------------------------------------------------------------------ lookups

    function _order(uint256 orderId) private view returns (Order storage order) {
        order = _orders[orderId];
        if (order.status == OrderStatus.None) revert OrderNotFound(orderId);
    }

    function _job(uint256 orderId, uint256 jobId) private view returns (Job storage job) {
        job = _jobs[orderId][jobId];
        if (job.status == JobStatus.None) revert JobNotFound(orderId, jobId);
    }

    /// @dev The order and job, the caller being the job's customer.
    function _customerJob(uint256 orderId, uint256 jobId) private view returns (Order storage, Job storage job) {
        job = _job(orderId, jobId);
        if (job.customer != msg.sender) revert NotJobCustomer(orderId, jobId, msg.sender);
        return (_orders[orderId], job);
    }

    /// @dev The order and job, the caller being the order's producer.
    function _producerJob(uint256 orderId, uint256 jobId) private view returns (Order storage order, Job storage) {
        order = _order(orderId);
        if (order.producer != msg.sender) revert NotOrderProducer(orderId, msg.sender);
        return (order, _job(orderId, jobId));
    }

    function _dims(Job storage job) private view returns (uint32[3] memory) {
        return [job.dimX, job.dimY, job.dimZ];
    }

    function _envelope(Order memory o) private pure returns (uint32[3] memory) {
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
    ) private {
        // Field by field: assigning a whole Job would also write its (still zero) digest slot.
        Job storage job = _jobs[orderId][jobId];
        (job.customer, job.status, job.deposit) = (msg.sender, JobStatus.Joined, deposit.toUint88());
        (job.dimX, job.dimY, job.dimZ) = (dims[0], dims[1], dims[2]);
        (job.partVolume, job.quantity) = (partVolume, quantity);
    }

    /// @dev Sets job 1's deposit to its price at the order's (new) price; credits the excess back.
    function _reprice(Order storage order, Job storage job) private returns (uint256 refund) {
        uint256 deposit = PartMath.price(order.pricePerCm3, PartMath.buildSpace(_dims(job), job.quantity));
        refund = job.deposit - deposit;
        job.deposit = uint88(deposit);
        if (refund != 0) _credits[job.customer][order.token] += refund;
    }

    /// @dev Frees the job's build space and live slot; credits its deposit to `to` (none: address(0)).
    function _release(Order storage order, Job storage job, address to) private returns (uint256 amount) {
        order.used -= uint64(PartMath.buildSpace(_dims(job), job.quantity));
        --order.liveJobs;
        amount = job.deposit;
        if (amount != 0 && to != address(0)) _credits[to][order.token] += amount;
    }

    /// @dev Credits `toProducer` of the job's `deposit` to the producer and the rest to the customer.
    function _split(Order storage order, Job storage job, uint256 toProducer, uint256 deposit) private {
        address token = order.token;
        if (toProducer != 0) _credits[order.producer][token] += toProducer;
        if (deposit != toProducer) _credits[job.customer][token] += deposit - toProducer;
    }

    /// @dev End of a disputed job's arbitration window.
    function _arbitrationEnd(Job storage job) private view returns (uint256) {
        return uint256(job.shippedAt) + confirmationWindow + arbitrationWindow;
    }

    /// @dev Completes a shipped job: its deposit goes to the producer.
    function _complete(uint256 orderId, uint256 jobId, Order storage order, Job storage job, bool confirmed) private {
        job.status = JobStatus.Completed;
        uint256 payment = job.deposit;
        if (payment != 0) _credits[order.producer][order.token] += payment;
        emit JobCompleted(orderId, jobId, payment, confirmed);
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

    /// @dev Pulls an ERC-20 deposit and checks the amount received (no fee-on-transfer tokens).
    function _pullDeposit(address token, uint256 deposit) private {
        if (token == address(0) || deposit == 0) return;
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), deposit);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received != deposit) revert WrongPayment(deposit, received);
    }
}
