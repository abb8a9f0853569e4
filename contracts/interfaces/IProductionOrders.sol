// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICapacityRegistry} from "./ICapacityRegistry.sol";
import {IMembershipGated} from "../utils/MembershipGated.sol";

// The market's interface by concern, the way OpenZeppelin's Governor splits its extensions:
// each module of contracts/market/ implements one of these; IProductionOrders, their union,
// is the one ABI clients use at the market's address (docs/DESIGN.md, "Contracts by concern").

/// @title IMarketTypes
/// @notice Orders (one producer's capacity slot) and jobs (one customer's part in it):
/// types, events and errors shared by the market's modules and its clients.
/// @dev Units: lengths in micrometres (uint32), volumes in mm3 (uint64), times in unix
/// seconds (stored as uint40), prices per cm3 in wei or token units (uint96), deposits in
/// wei or token units (stored as uint88). Order ids run 1..orderCount(), job ids 1..jobCount(orderId).
/// Build space of a job = ceil(x*y*z / 1e9) mm3 (its bounding box) x quantity.
/// Price of a job = ceil(pricePerCm3 x buildSpace / 1000): the build space it consumes, so
/// no declaration of the part volume can buy space below its price.
/// A part fits an envelope if its sorted dimensions are each <= the envelope's sorted ones.
interface IMarketTypes {
    /// @notice Order states: Requested -> Open -> Closed; Requested/Open/Closed -> Cancelled.
    enum OrderStatus {
        None,
        Requested,
        Open,
        Closed,
        Cancelled
    }

    /// @notice Job states: Joined -> ModelSubmitted -> Shipped -> Completed; Joined -> Left;
    /// Joined/ModelSubmitted -> Refunded (cancel, reclaim; a Joined job also by the producer's
    /// evict); ModelSubmitted -> Rejected (the producer declines
    /// the model); Shipped -> Disputed -> Resolved (the arbiter's split, or the default full
    /// refund after the arbitration window) or Completed (the customer confirms after all).
    /// Codes 0-6 are unchanged from the first release; new states are appended.
    enum JobStatus {
        None,
        Joined,
        ModelSubmitted,
        Shipped,
        Completed,
        Left,
        Refunded,
        Disputed,
        Resolved,
        Rejected
    }

    /// @notice An order, four storage slots.
    /// @dev A Requested order has no producer or machine yet; its capacity and envelope are
    /// the first job's build space and dimensions, its pricePerCm3 the customer's maximum and
    /// its material the wished one (zero: any). `used` is the build space of the live jobs
    /// (Joined, ModelSubmitted, Shipped, Completed, Disputed, Resolved); `liveJobs` counts
    /// them (at most MAX_LIVE_JOBS), `jobCount` counts every job id ever given (MAX_JOB_IDS).
    struct Order {
        address producer;
        OrderStatus status;
        uint32 machineId;
        uint32 jobCount;
        uint16 liveJobs;
        address token;
        uint96 pricePerCm3;
        uint64 capacity;
        uint64 used;
        uint40 start;
        uint40 end;
        uint40 deadline;
        uint32 envX;
        uint32 envY;
        uint32 envZ;
        bytes16 material;
    }

    /// @notice A job, two storage slots plus the model digest in a third, written once.
    /// @dev A dispute is open until shippedAt + confirmationWindow + arbitrationWindow.
    /// @notice One part of an assembly joined in one transaction (joinParts): its bounding
    /// box in micrometres, its volume in mm3 and its number of copies, as join takes them.
    struct Part {
        uint32[3] dims;
        uint64 partVolume;
        uint32 quantity;
    }

    struct Job {
        address customer;
        JobStatus status;
        uint88 deposit;
        uint32 dimX;
        uint32 dimY;
        uint32 dimZ;
        uint64 partVolume;
        uint32 quantity;
        uint40 shippedAt;
        bytes32 digest;
    }

    /// @notice A producer opened an order on one of its machines.
    event OrderOpened(
        uint256 indexed orderId,
        address indexed producer,
        uint256 indexed machineId,
        uint64 capacity,
        uint96 pricePerCm3,
        address token
    );
    /// @notice A customer requested production; its part is job 1 of the order.
    event OrderRequested(
        uint256 indexed orderId, address indexed customer, bytes16 material, uint96 maxPricePerCm3, address token
    );
    /// @notice A producer took a requested order; `refund` is credited to the requester.
    event OrderTaken(
        uint256 indexed orderId,
        address indexed producer,
        uint256 indexed machineId,
        uint64 capacity,
        uint96 pricePerCm3,
        uint256 refund
    );
    /// @notice The order stopped taking customers.
    event OrderClosed(uint256 indexed orderId);
    /// @notice The order was cancelled; each open job gets a JobRefunded event.
    event OrderCancelled(uint256 indexed orderId);
    /// @notice A customer's part joined the order; `deposit` is held in escrow.
    event JobJoined(
        uint256 indexed orderId, uint256 indexed jobId, address indexed customer, uint64 buildSpace, uint256 deposit
    );
    /// @notice The customer left the open order; `refund` is credited to it.
    event JobLeft(uint256 indexed orderId, uint256 indexed jobId, uint256 refund);
    /// @notice The customer recorded the sha256 digest and location of its encrypted model.
    event ModelSubmitted(uint256 indexed orderId, uint256 indexed jobId, bytes32 digest, string uri);
    /// @notice The producer shipped the part.
    event JobShipped(uint256 indexed orderId, uint256 indexed jobId);
    /// @notice The job is complete and `payment` credited to the producer; `confirmed` is true
    /// when the customer confirmed receipt, false when the producer finalized after the window.
    event JobCompleted(uint256 indexed orderId, uint256 indexed jobId, uint256 payment, bool confirmed);
    /// @notice The job's deposit was credited back to its customer (cancel or reclaim).
    event JobRefunded(uint256 indexed orderId, uint256 indexed jobId, uint256 refund);
    /// @notice `account` withdrew `amount` of `token` (address(0): ETH).
    event Withdrawn(address indexed account, address indexed token, uint256 amount);
    /// @notice The producer rejected the job's model: `toProducer` (REJECT_FEE_BPS of the
    /// deposit) is credited to it, `toCustomer` (the rest) back to the customer.
    event JobRejected(uint256 indexed orderId, uint256 indexed jobId, uint256 toProducer, uint256 toCustomer);
    /// @notice The customer disputed the shipped job, saying why (`reason`, for the arbiter);
    /// finalize is blocked until it is resolved.
    event JobDisputed(uint256 indexed orderId, uint256 indexed jobId, string reason);
    /// @notice The dispute was resolved: by `arbiter`'s split, or (arbiter address(0)) by the
    /// default rule after the arbitration window, a full refund to the customer.
    event JobResolved(
        uint256 indexed orderId, uint256 indexed jobId, address indexed arbiter, uint256 toProducer, uint256 toCustomer
    );
    /// @notice Public mode: `arbiter` will resolve the order's disputes. It is named when the
    /// order is opened or requested and never changes: a term every join and take accepts as read.
    event ArbiterNamed(uint256 indexed orderId, address indexed arbiter);
    /// @notice The producer removed a job without a model from its open order; `refund`, the
    /// whole deposit, is credited to the customer.
    event JobEvicted(uint256 indexed orderId, uint256 indexed jobId, uint256 refund);
    /// @notice The token admin allowed (or stopped allowing) `token` for new orders.
    event TokenAllowed(address indexed token, bool allowed);

    /// @notice No order has id `orderId`.
    error OrderNotFound(uint256 orderId);
    /// @notice Order `orderId` has no job `jobId`.
    error JobNotFound(uint256 orderId, uint256 jobId);
    /// @notice Only the order's producer may do this (or the window has not ended yet).
    error NotOrderProducer(uint256 orderId, address caller);
    /// @notice Only the job's customer may do this.
    error NotJobCustomer(uint256 orderId, uint256 jobId, address caller);
    /// @notice The machine does not exist or is not the caller's.
    error NotMachineOwner(uint256 machineId, address caller);
    /// @notice The order is in `status`, not in one this step accepts.
    error WrongOrderStatus(uint256 orderId, OrderStatus status);
    /// @notice The job is in `status`, not in one this step accepts.
    error WrongJobStatus(uint256 orderId, uint256 jobId, JobStatus status);
    /// @notice Needs start < end, now < end and end < deadline <= end + maxLeadTime.
    error InvalidWindow(uint40 start, uint40 end, uint40 deadline, uint256 maxLeadTime);
    /// @notice Capacity must be in [min, max]: at least the space used, at most the envelope's volume.
    error InvalidCapacity(uint64 capacity, uint256 min, uint256 max);
    /// @notice A part needs non-zero dimensions and quantity and 0 < volume <= its bounding box.
    error InvalidPart(uint32[3] dims, uint64 partVolume, uint32 quantity);
    /// @notice The order's envelope does not fit in the machine's.
    error EnvelopeTooLarge(uint32[3] envelope, uint32[3] machineEnvelope);
    /// @notice The part does not fit the order's envelope in any axis-aligned orientation.
    error DoesNotFit(uint32[3] dims, uint32[3] envelope);
    /// @notice The job needs `needed` mm3 of build space; `left` remain.
    error NoSpaceLeft(uint256 orderId, uint256 needed, uint64 left);
    /// @notice The order's window starts at `start`.
    error WindowNotStarted(uint256 orderId, uint40 start);
    /// @notice The order's window ended at `end`.
    error WindowOver(uint256 orderId, uint40 end);
    /// @notice The order already has the maximum number of live jobs (or of job ids).
    error TooManyJobs(uint256 orderId, uint256 max);
    /// @notice The machine's material is not the one requested.
    error MaterialMismatch(bytes16 requested, bytes16 machine);
    /// @notice The price is above the requester's maximum.
    error PriceAboveMax(uint96 price, uint96 maxPrice);
    /// @notice The payment (ETH value, or tokens received) is not the expected amount.
    error WrongPayment(uint256 expected, uint256 got);
    /// @notice A model needs a non-zero digest and a non-empty URI.
    error EmptyModel();
    /// @notice Cannot cancel: job `jobId` has been shipped.
    error AlreadyShipped(uint256 orderId, uint256 jobId);
    /// @notice Too late: the delivery deadline was `deadline`.
    error DeliveryDeadlinePassed(uint256 orderId, uint40 deadline);
    /// @notice Too early: the delivery deadline is `deadline`.
    error DeliveryDeadlineNotPassed(uint256 orderId, uint40 deadline);
    /// @notice The customer may confirm receipt until `until`.
    error ConfirmationWindowOpen(uint256 orderId, uint256 jobId, uint256 until);
    /// @notice `account` has no credit in `token`.
    error NothingToWithdraw(address account, address token);
    /// @notice Cannot cancel: job `jobId` has a submitted model (reject it or ship it).
    error ModelReceived(uint256 orderId, uint256 jobId);
    /// @notice A dispute's reason must have 1 to `max` bytes; it had `length`.
    error InvalidReason(uint256 length, uint256 max);
    /// @notice A dispute had to be opened before `until` (shipment + confirmation window).
    error ConfirmationWindowOver(uint256 orderId, uint256 jobId, uint256 until);
    /// @notice The arbiter has until `until` to resolve the dispute; the default rule applies after.
    error ArbitrationWindowOpen(uint256 orderId, uint256 jobId, uint256 until);
    /// @notice `caller` is not this order's arbiter, or is a party to the job.
    error NotArbiter(uint256 orderId, address caller);
    /// @notice The split gives the producer more than the deposit.
    error SplitTooLarge(uint256 toProducer, uint256 deposit);
    /// @notice An arbiter can be named only in public mode, when the order is opened or
    /// requested, and must be another address than the caller's.
    error CannotNameArbiter(address caller, address arbiter);
    /// @notice The token is not on the deployment's allowlist (address(0), ETH, always is).
    error TokenNotAllowed(address token);
    /// @notice Only the token admin may change the allowlist.
    error NotTokenAdmin(address caller);
    /// @notice An assembly (joinParts) or a model for several jobs (submitModels) names no part.
    error EmptyAssembly();
    /// @notice A deployment setting is outside [min, max].
    error InvalidSetting(uint256 value, uint256 min, uint256 max);

}

/// @title IOrderBook
/// @notice Producers open orders; customers join and leave them; orders close or are cancelled.
interface IOrderBook is IMarketTypes {
    /// @notice Producer: open an order on its machine `machineId`.
    /// @param envelope Region offered, x, y, z in micrometres; must fit the machine's envelope.
    /// @param capacity Build space offered in mm3, > 0 and <= the envelope's volume.
    /// @param start Window start: customers join in [start, end).
    /// @param end Window end, in the future.
    /// @param deadline Delivery deadline, after end and at most maxLeadTime after it.
    /// @param pricePerCm3 Price per cm3 of build space (bounding box x quantity; 0 allowed).
    /// @param token Payment token: address(0) for ETH, or a token on the allowlist.
    /// @param arbiter Public mode: who resolves the order's disputes, fixed for good
    /// (address(0): none, disputes end by the default rule); permissioned mode: address(0).
    /// @return orderId The new order's id.
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
    ) external returns (uint256 orderId);

    /// @notice Customer: join an Open order with a part, paying its price as deposit. The
    /// order closes itself when this job uses up its capacity.
    /// @return jobId The new job's id.
    function join(uint256 orderId, uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        external
        payable
        returns (uint256 jobId);

    /// @notice Customer: join an Open order with an assembly, every part its own job (ids
    /// firstJobId, firstJobId + 1, ... in the order given) checked, spaced and priced exactly
    /// as its own join would be, against the order as the parts before it left it; the
    /// deposits are paid in one payment (their sum). All or nothing: if one part cannot join,
    /// none does. Each part counts as one live job and one job id (MAX_LIVE_JOBS,
    /// MAX_JOB_IDS). The order closes itself when the assembly uses up its capacity.
    /// @param parts The parts, at least one.
    /// @return firstJobId The first part's job id.
    function joinParts(uint256 orderId, Part[] calldata parts) external payable returns (uint256 firstJobId);

    /// @notice Job's customer: leave an Open order; space freed, deposit credited back.
    function leave(uint256 orderId, uint256 jobId) external;

    /// @notice Order's producer: remove Joined jobs (no model yet) from its Open order, each
    /// refunded in full; frees their space and live slots (against an account that holds
    /// every live slot with tiny parts).
    /// @param jobIds The jobs to remove; each must be Joined.
    function evict(uint256 orderId, uint256[] calldata jobIds) external;

    /// @notice Close an Open order: its producer any time, anyone once the window has ended.
    function close(uint256 orderId) external;

    /// @notice Cancel an order before any of its jobs has a model: the producer (Open or
    /// Closed) or the requester (Requested). Open jobs are refunded (credited).
    function cancel(uint256 orderId) external;
}

/// @title IRequests
/// @notice A customer asks for production of a part; a producer takes the request.
interface IRequests is IMarketTypes {
    /// @notice Customer: request production of a part; creates a Requested order whose job 1
    /// is the part. Pays the deposit at `maxPricePerCm3` (ETH as value, or an ERC-20 pulled
    /// with transferFrom).
    /// @param material Wished material code (zero: any).
    /// @param dims Part bounding box x, y, z in micrometres.
    /// @param partVolume Part volume in mm3, > 0 and <= the bounding box volume.
    /// @param quantity Number of copies, > 0.
    /// @param end A producer may take the order (and others join) until then.
    /// @param deadline Delivery deadline, after end and at most maxLeadTime after it.
    /// @param arbiter Public mode: who resolves the order's disputes, fixed for good; the
    /// producer accepts it by taking (address(0): none); permissioned mode: address(0).
    /// @return orderId The new order's id.
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
    ) external payable returns (uint256 orderId);

    /// @notice Producer: take a Requested order with its machine; the order becomes Open (or
    /// Closed if `capacity` is exactly the space used). The requester is credited the
    /// difference between its deposit and the price at `pricePerCm3`.
    function take(
        uint256 orderId,
        uint256 machineId,
        uint32[3] calldata envelope,
        uint64 capacity,
        uint96 pricePerCm3
    ) external;
}

/// @title IFulfilment
/// @notice From a closed order to completed jobs: model, shipment, confirmation.
interface IFulfilment is IMarketTypes {
    /// @notice Job's customer: record its encrypted model once the order is Closed.
    /// @param sha256Digest sha256 of the ciphertext, stored for good.
    /// @param uri Where the ciphertext is (emitted only).
    function submitModel(uint256 orderId, uint256 jobId, bytes32 sha256Digest, string calldata uri) external;

    /// @notice Producer: mark the job's part shipped, before the delivery deadline.
    function ship(uint256 orderId, uint256 jobId) external;

    /// @notice Job's customer: confirm receipt of a shipped (or disputed) job; the deposit is
    /// credited to the producer.
    function confirmReceipt(uint256 orderId, uint256 jobId) external;

    /// @notice Producer: complete a shipped job the customer did not confirm within the
    /// confirmation window; the deposit is credited to the producer.
    function finalize(uint256 orderId, uint256 jobId) external;

    /// @notice Job's customer: take back the deposit of a job not shipped by the deadline. A
    /// Requested order no producer took is cancelled with it.
    function reclaim(uint256 orderId, uint256 jobId) external;
}

/// @title IArbitration
/// @notice A producer's reject of a mismatched model, and disputes settled by an arbiter.
interface IArbitration is IMarketTypes {
    /// @notice Producer: reject a submitted model that does not match the job's public data,
    /// before the delivery deadline. REJECT_FEE_BPS of the deposit is credited to the producer
    /// (its cost of fetching and checking), the rest back to the customer.
    function reject(uint256 orderId, uint256 jobId) external;

    /// @notice Job's customer: dispute a shipped job within the confirmation window, saying why
    /// in `reason` (1 to MAX_REASON_BYTES bytes, kept in the JobDisputed event for the arbiter);
    /// finalize is then blocked until the dispute is resolved.
    function dispute(uint256 orderId, uint256 jobId, string calldata reason) external;

    /// @notice The order's arbiter (ARBITER_ROLE in permissioned mode, the named arbiter in
    /// public mode; never a party to the job): resolve a dispute, until someone settles it, by
    /// crediting `toProducer` to the producer and the rest of the deposit to the customer.
    function resolve(uint256 orderId, uint256 jobId, uint256 toProducer) external;

    /// @notice Anyone: apply the default rule to a dispute the arbiter left unresolved past
    /// shippedAt + confirmationWindow + arbitrationWindow: the deposit goes back to the customer.
    function settle(uint256 orderId, uint256 jobId) external;

    /// @notice The arbiter named for order `orderId` (public mode), or address(0).
    function arbiterOf(uint256 orderId) external view returns (address);
}

/// @title ITokenPolicy
/// @notice Which ERC-20 tokens new orders may be paid in.
interface ITokenPolicy is IMarketTypes {
    /// @notice Token admin: allow `token` (or stop allowing it) for new orders and requests.
    function allowToken(address token, bool allowed) external;

    /// @notice True if new orders may use `token` (address(0), ETH, always may).
    function tokenAllowed(address token) external view returns (bool);
}

/// @title IEscrow
/// @notice Deposits are held until a rule credits them; credits are pulled.
interface IEscrow is IMarketTypes {
    /// @notice Withdraw all of the caller's credit in `token` (address(0): ETH); no role is
    /// needed, so a member removed since keeps what it earned.
    /// @return amount What was sent.
    function withdraw(address token) external returns (uint256 amount);

    /// @notice Credit of `account` in `token` (address(0): ETH), withdrawable.
    function credits(address account, address token) external view returns (uint256);
}

/// @title IMarketViews
/// @notice The market's state and the deployment's settings, for clients.
interface IMarketViews is IMarketTypes {
    /// @notice Order `orderId`; reverts with OrderNotFound if unknown.
    function getOrder(uint256 orderId) external view returns (Order memory);

    /// @notice Job `jobId` of order `orderId`; reverts with JobNotFound if unknown.
    function getJob(uint256 orderId, uint256 jobId) external view returns (Job memory);

    /// @notice Number of orders; their ids are 1..orderCount().
    function orderCount() external view returns (uint256);

    /// @notice Number of jobs of order `orderId`; their ids are 1..jobCount(orderId).
    function jobCount(uint256 orderId) external view returns (uint256);

    /// @notice Build space (mm3) left in order `orderId`.
    function spaceLeft(uint256 orderId) external view returns (uint256);

    /// @notice What joining order `orderId` with this part would mean.
    /// @return fits True if the part fits the envelope and the space left.
    /// @return buildSpace Build space the job would use, mm3.
    /// @return price Deposit the job would pay.
    function quote(uint256 orderId, uint32[3] calldata dims, uint64 partVolume, uint32 quantity)
        external
        view
        returns (bool fits, uint256 buildSpace, uint256 price);

    /// @notice The registry whose machines orders run on.
    function registry() external view returns (ICapacityRegistry);

    /// @notice The account that keeps the token allowlist.
    function tokenAdmin() external view returns (address);

    /// @notice Seconds after shipment during which only the customer can complete (or
    /// dispute) a job.
    function confirmationWindow() external view returns (uint256);

    /// @notice Seconds after the confirmation window during which the arbiter may resolve a
    /// dispute; after it the default rule (full refund) applies.
    function arbitrationWindow() external view returns (uint256);

    /// @notice Longest time between an order's window end and its delivery deadline: no
    /// deposit is locked longer than end + maxLeadTime (+ the two windows once shipped).
    function maxLeadTime() external view returns (uint256);

    /// @notice Most live jobs (not left, refunded or rejected) an order can have at once.
    function MAX_LIVE_JOBS() external pure returns (uint256);

    /// @notice Most job ids an order gives out: bounds the refund loop of cancel.
    function MAX_JOB_IDS() external pure returns (uint256);

    /// @notice Share of the deposit, in basis points, credited to a producer that rejects a model.
    function REJECT_FEE_BPS() external pure returns (uint256);

    /// @notice Longest reason a dispute carries (bytes).
    function MAX_REASON_BYTES() external pure returns (uint256);

    /// @notice Shortest deployment window (seconds).
    function MIN_WINDOW() external pure returns (uint256);

    /// @notice Longest confirmation or arbitration window (seconds).
    function MAX_WINDOW() external pure returns (uint256);

    /// @notice Longest maxLeadTime a deployment may set (seconds).
    function MAX_LEAD_TIME() external pure returns (uint256);
}

/// @title IAssemblies
/// @notice One encrypted model (an assembly's file) recorded for all the jobs of an assembly
/// (joined at once by IOrderBook.joinParts). Each part is a job of its own from then on (ship,
/// confirm, leave, reject, reclaim and dispute act on it alone).
interface IAssemblies is IMarketTypes {
    /// @notice Job's customer: record one encrypted model (an assembly's file) for several of
    /// its jobs of a Closed order at once; each job is checked and recorded as submitModel
    /// would (same digest and URI for each, one ModelSubmitted each). All or nothing.
    /// @param jobIds The jobs, at least one, each Joined and the caller's.
    function submitModels(uint256 orderId, uint256[] calldata jobIds, bytes32 sha256Digest, string calldata uri)
        external;
}

/// @title IProductionOrders
/// @notice The market at one address: the union of its concerns. ProductionOrders serves every
/// single-job state change itself and delegates the views and the assemblies to its extension.
interface IProductionOrders is
    IOrderBook,
    IRequests,
    IFulfilment,
    IAssemblies,
    IArbitration,
    ITokenPolicy,
    IEscrow,
    IMarketViews,
    IMembershipGated
{
    /// @notice The contract that runs the market's other concerns in its storage.
    function extension() external view returns (address);
}
