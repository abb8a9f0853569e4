// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CUSTOMER_ROLE} from "../interfaces/IMembership.sol";
import {IAssemblies} from "../interfaces/IProductionOrders.sol";
import {JobSteps} from "./JobSteps.sol";

/// @title Assemblies
/// @notice One encrypted model (an assembly's file) recorded for several jobs of a customer at
/// once (the assembly itself joins through OrderBook.joinParts, where the payment is taken).
/// @dev Runs in ProductionOrdersExtension, by delegatecall from ProductionOrders, on the same
/// checks and effects as submitModel (JobSteps._recordModel). Called on the extension directly
/// it reads the extension's own empty storage and reverts (JobNotFound); it takes no value.
abstract contract Assemblies is IAssemblies, JobSteps {
    /// @inheritdoc IAssemblies
    function submitModels(uint256 orderId, uint256[] calldata jobIds, bytes32 sha256Digest, string calldata uri)
        external
        nonReentrant
    {
        _checkRole(CUSTOMER_ROLE);
        if (jobIds.length == 0) revert EmptyAssembly();
        for (uint256 i; i < jobIds.length; ++i) {
            _recordModel(orderId, jobIds[i], sha256Digest, uri);
        }
    }
}
