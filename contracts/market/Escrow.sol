// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {IEscrow} from "../interfaces/IProductionOrders.sol";
import {MarketSteps} from "./MarketSteps.sol";

/// @title Escrow
/// @notice Deposits stay in the market until a rule credits them; value leaves only here,
/// pulled by the account credited.
abstract contract Escrow is IEscrow, MarketSteps {
    using SafeERC20 for IERC20;

    /// @inheritdoc IEscrow
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

    /// @inheritdoc IEscrow
    function credits(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }
}
