// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICapacityRegistry} from "../interfaces/ICapacityRegistry.sol";
import {IMarketViews} from "../interfaces/IProductionOrders.sol";
import {PartMath} from "../utils/PartMath.sol";
import {MarketLimits, MarketStorage} from "./MarketStorage.sol";

/// @title MarketViews
/// @notice Reads of the market's state and of the deployment's settings, for clients.
abstract contract MarketViews is IMarketViews, MarketStorage {
    /// @inheritdoc IMarketViews
    function getOrder(uint256 orderId) external view returns (Order memory) {
        return _order(orderId);
    }

    /// @inheritdoc IMarketViews
    function getJob(uint256 orderId, uint256 jobId) external view returns (Job memory) {
        return _job(orderId, jobId);
    }

    /// @inheritdoc IMarketViews
    function orderCount() external view returns (uint256) {
        return _nextOrderId - 1;
    }

    /// @inheritdoc IMarketViews
    function jobCount(uint256 orderId) external view returns (uint256) {
        return _order(orderId).jobCount;
    }

    /// @inheritdoc IMarketViews
    function spaceLeft(uint256 orderId) external view returns (uint256) {
        Order storage order = _order(orderId);
        return order.capacity - order.used;
    }

    /// @inheritdoc IMarketViews
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

    /// @inheritdoc IMarketViews
    function registry() external view returns (ICapacityRegistry) {
        return _registry;
    }

    /// @inheritdoc IMarketViews
    function tokenAdmin() external view returns (address) {
        return _tokenAdmin;
    }

    /// @inheritdoc IMarketViews
    function confirmationWindow() external view returns (uint256) {
        return _confirmationWindow;
    }

    /// @inheritdoc IMarketViews
    function arbitrationWindow() external view returns (uint256) {
        return _arbitrationWindow;
    }

    /// @inheritdoc IMarketViews
    function maxLeadTime() external view returns (uint256) {
        return _maxLeadTime;
    }

    /// @inheritdoc IMarketViews
    function MAX_LIVE_JOBS() external pure returns (uint256) {
        return MarketLimits.MAX_LIVE_JOBS;
    }

    /// @inheritdoc IMarketViews
    function MAX_JOB_IDS() external pure returns (uint256) {
        return MarketLimits.MAX_JOB_IDS;
    }

    /// @inheritdoc IMarketViews
    function REJECT_FEE_BPS() external pure returns (uint256) {
        return MarketLimits.REJECT_FEE_BPS;
    }

    /// @inheritdoc IMarketViews
    function MAX_REASON_BYTES() external pure returns (uint256) {
        return MarketLimits.MAX_REASON_BYTES;
    }

    /// @inheritdoc IMarketViews
    function MIN_WINDOW() external pure returns (uint256) {
        return MarketLimits.MIN_WINDOW;
    }

    /// @inheritdoc IMarketViews
    function MAX_WINDOW() external pure returns (uint256) {
        return MarketLimits.MAX_WINDOW;
    }

    /// @inheritdoc IMarketViews
    function MAX_LEAD_TIME() external pure returns (uint256) {
        return MarketLimits.MAX_LEAD_TIME;
    }
}
