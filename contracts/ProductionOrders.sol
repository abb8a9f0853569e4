// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";

import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {ProductionOrdersExtension} from "./ProductionOrdersExtension.sol";
import {Arbitration} from "./market/Arbitration.sol";
import {Escrow} from "./market/Escrow.sol";
import {Fulfilment} from "./market/Fulfilment.sol";
import {MarketStorage} from "./market/MarketStorage.sol";
import {OrderBook} from "./market/OrderBook.sol";
import {Requests} from "./market/Requests.sol";
import {TokenPolicy} from "./market/TokenPolicy.sol";

/// @title ProductionOrders
/// @notice The market for additive-manufacturing capacity at one address: a producer's
/// capacity slot on a registered machine (an order) shared by customers' parts (jobs) until
/// it is used up, deposits in escrow (ETH or one allowed ERC-20 per order), pull payments, a
/// producer's reject of a mismatched model and disputes settled by an arbiter. Clients call
/// it through IProductionOrders.
/// @dev Contracts by concern (docs/DESIGN.md, "Contracts by concern"): this contract runs
/// every step that takes value and every single-job state change (the order book with its
/// assemblies' join, requests, fulfilment, arbitration, the token allowlist, escrow); every
/// other selector (the views, and one model recorded for an assembly's jobs) falls through
/// to ProductionOrdersExtension,
/// deployed by this constructor with the same settings and run by delegatecall in this
/// contract's storage. The extension's address is immutable: nothing here is upgradable.
/// State machine in docs/DESIGN.md, "The contract state machine". Every mutating function is
/// nonReentrant and follows checks-effects-interactions; value leaves only through withdraw.
contract ProductionOrders is OrderBook, Requests, Fulfilment, Arbitration, TokenPolicy, Escrow, Proxy {
    /// @notice The contract that runs the market's other concerns in this one's storage.
    address public immutable extension;

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
    ) MarketStorage(registry_, membership_, tokenAdmin_, confirmationWindow_, arbitrationWindow_, maxLeadTime_) {
        extension = address(
            new ProductionOrdersExtension(
                registry_, membership_, tokenAdmin_, confirmationWindow_, arbitrationWindow_, maxLeadTime_
            )
        );
    }

    /// @dev Proxy's fallback delegates every selector this contract lacks to the extension.
    function _implementation() internal view override returns (address) {
        return extension;
    }
}
