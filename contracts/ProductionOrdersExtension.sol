// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {MarketStorage} from "./market/MarketStorage.sol";
import {MarketViews} from "./market/MarketViews.sol";

/// @title ProductionOrdersExtension
/// @notice The market's views: reads of its orders, jobs, credits and arbiters and of the
/// deployment's settings. ProductionOrders deploys it and delegates to it every selector it
/// does not serve itself, so it reads the market's storage. It has no state-changing
/// function: called directly it reads its own empty storage, and it cannot hold value.
/// @dev Same storage layout as ProductionOrders (both derive it from MarketStorage alone);
/// its immutables are the market's settings, given by the market's constructor.
contract ProductionOrdersExtension is MarketViews {
    /// @param registry_ The capacity registry.
    /// @param membership_ Membership contract, or address(0) for public mode.
    /// @param tokenAdmin_ The account that keeps the token allowlist.
    /// @param confirmationWindow_ The market's confirmation window (seconds).
    /// @param arbitrationWindow_ The market's arbitration window (seconds).
    /// @param maxLeadTime_ The market's longest lead time (seconds).
    constructor(
        ICapacityRegistry registry_,
        IMembership membership_,
        address tokenAdmin_,
        uint256 confirmationWindow_,
        uint256 arbitrationWindow_,
        uint256 maxLeadTime_
    ) MarketStorage(registry_, membership_, tokenAdmin_, confirmationWindow_, arbitrationWindow_, maxLeadTime_) {}
}
