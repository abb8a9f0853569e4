// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITokenPolicy} from "../interfaces/IProductionOrders.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title TokenPolicy
/// @notice The ERC-20 allowlist kept by the deployment's token admin; ETH is always allowed.
/// A change affects only orders opened or requested after it.
abstract contract TokenPolicy is ITokenPolicy, MarketSteps {
    /// @inheritdoc ITokenPolicy
    function allowToken(address token, bool allowed) external nonReentrant {
        if (msg.sender != _tokenAdmin) revert NotTokenAdmin(msg.sender);
        _allowedTokens[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc ITokenPolicy
    function tokenAllowed(address token) external view returns (bool) {
        return token == address(0) || _allowedTokens[token];
    }
}
