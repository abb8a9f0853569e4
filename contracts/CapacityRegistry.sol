// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IMembership, PRODUCER_ROLE} from "./interfaces/IMembership.sol";
import {MembershipGated} from "./utils/MembershipGated.sol";

/// @title CapacityRegistry
/// @notice Who is who: each account's OpenPGP key fingerprint (the armored key travels in
/// the KeyPublished event) and the machines producers offer. In permissioned mode only
/// participants publish keys and only producers register machines.
/// @dev Storage: fingerprint one slot per account; a machine is two slots (owner + envelope,
/// process + material codes as right-padded bytes16) plus its URI string.
contract CapacityRegistry is ICapacityRegistry, MembershipGated {
    mapping(address account => bytes32) private _fingerprints;
    mapping(uint256 machineId => Machine) private _machines;
    mapping(uint256 machineId => string) private _uris;
    uint256 private _machineCount;

    /// @param membership_ Membership contract, or address(0) for public mode.
    constructor(IMembership membership_) MembershipGated(membership_) {}

    /// @inheritdoc ICapacityRegistry
    function publishKey(bytes32 fingerprint, bytes calldata armoredKey) external {
        _checkParticipant();
        if (fingerprint == bytes32(0)) revert EmptyFingerprint();
        _fingerprints[msg.sender] = fingerprint;
        emit KeyPublished(msg.sender, fingerprint, armoredKey);
    }

    /// @inheritdoc ICapacityRegistry
    function registerMachine(
        bytes16 process,
        bytes16 material,
        uint32[3] calldata envelope,
        string calldata metadataURI
    ) external returns (uint256 machineId) {
        _checkRole(PRODUCER_ROLE);
        if (_fingerprints[msg.sender] == bytes32(0)) revert KeyNotPublished(msg.sender);
        if (process == 0 || material == 0 || envelope[0] == 0 || envelope[1] == 0 || envelope[2] == 0) {
            revert InvalidMachine();
        }
        machineId = ++_machineCount;
        _machines[machineId] = Machine(msg.sender, envelope[0], envelope[1], envelope[2], process, material);
        _uris[machineId] = metadataURI;
        emit MachineRegistered(machineId, msg.sender, process, material, envelope, metadataURI);
    }

    /// @inheritdoc ICapacityRegistry
    function fingerprintOf(address account) external view returns (bytes32) {
        return _fingerprints[account];
    }

    /// @inheritdoc ICapacityRegistry
    function machine(uint256 machineId) external view returns (Machine memory) {
        return _machines[machineId];
    }

    /// @inheritdoc ICapacityRegistry
    function machineURI(uint256 machineId) external view returns (string memory) {
        _requireMachine(machineId);
        return _uris[machineId];
    }

    /// @inheritdoc ICapacityRegistry
    function machineOwner(uint256 machineId) external view returns (address) {
        return _requireMachine(machineId);
    }

    /// @inheritdoc ICapacityRegistry
    function machineCount() external view returns (uint256) {
        return _machineCount;
    }

    function _requireMachine(uint256 machineId) private view returns (address owner) {
        owner = _machines[machineId].owner;
        if (owner == address(0)) revert MachineNotFound(machineId);
    }
}
