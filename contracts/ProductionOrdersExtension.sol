// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IMembership} from "./interfaces/IMembership.sol";
import {Assemblies} from "./market/Assemblies.sol";
import {MarketStorage} from "./market/MarketStorage.sol";
import {MarketViews} from "./market/MarketViews.sol";

/// @title ProductionOrdersExtension
/// @notice The market's views (reads of its orders, jobs, credits and arbiters and of the
/// deployment's settings) and one model recorded for an assembly's jobs (submitModels).
/// ProductionOrders deploys it and delegates to it every selector it does not serve itself,
/// so it runs in the market's storage. Called directly it reads its own empty storage: the
/// views find nothing, submitModels finds no job and reverts; nothing in it takes value.
/// @dev Same storage layout as ProductionOrders (both derive it from MarketStorage alone);
/// its immutables are the market's settings, given by the market's constructor.
contract ProductionOrdersExtension is MarketViews, Assemblies {
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
