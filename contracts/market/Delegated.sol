// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarketTypes} from "../interfaces/IProductionOrders.sol";

/// @title Delegated
/// @notice Base of the modules that run only behind the market's address: called directly,
/// they would keep their own (empty) books and any value sent with them, so they refuse.
abstract contract Delegated is IMarketTypes {
    address private immutable _self = address(this);

    /// @dev Reverts with NotDelegated unless running by delegatecall from the market.
    modifier onlyDelegated() {
        if (address(this) == _self) revert NotDelegated();
        _;
    }
}
