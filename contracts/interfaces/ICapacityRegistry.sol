// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICapacityRegistry
/// @notice Participants' OpenPGP key commitments and producers' machines.
/// @dev Encodings shared with clients:
/// - fingerprint: the key's fingerprint left-aligned in a bytes32 (an OpenPGP v4
///   fingerprint is 20 bytes: `bytes32(bytes20(fp))`; a v6 fingerprint fills all 32 bytes).
/// - process and material: short ASCII codes ("SLS", "FDM", "SLM"; "PA12", "Ti6Al4V"),
///   right-padded with zero bytes into a bytes16 (at most 16 characters).
/// - lengths: micrometres (uint32); envelopes are x, y, z in any order (fits compare sorted).
/// - machine ids are sequential from 1; 0 is never a machine.
interface ICapacityRegistry {
    /// @notice A registered machine (two storage slots; its metadata URI is kept apart).
    struct Machine {
        address owner;
        uint32 x;
        uint32 y;
        uint32 z;
        bytes16 process;
        bytes16 material;
    }

    /// @notice `account` published (or rotated to) the key with `fingerprint`; the armored
    /// key is only in this event: check it against {fingerprintOf} before use.
    event KeyPublished(address indexed account, bytes32 indexed fingerprint, bytes armoredKey);

    /// @notice Machine `machineId` registered by `owner`.
    event MachineRegistered(
        uint256 indexed machineId,
        address indexed owner,
        bytes16 process,
        bytes16 material,
        uint32[3] envelope,
        string metadataURI
    );

    /// @notice The fingerprint is zero.
    error EmptyFingerprint();
    /// @notice `account` has not published a key (needed to register a machine).
    error KeyNotPublished(address account);
    /// @notice A machine needs a process, a material and non-zero envelope dimensions.
    error InvalidMachine();
    /// @notice No machine has id `machineId`.
    error MachineNotFound(uint256 machineId);

    /// @notice Publish (or rotate) the caller's OpenPGP public key.
    /// @param fingerprint Key fingerprint, left-aligned.
    /// @param armoredKey ASCII-armored public key (emitted, not stored).
    function publishKey(bytes32 fingerprint, bytes calldata armoredKey) external;

    /// @notice Register a machine owned by the caller (who must have published a key).
    /// @param process Process code, right-padded (e.g. "SLS").
    /// @param material Material code, right-padded (e.g. "PA12").
    /// @param envelope Build envelope x, y, z in micrometres, each > 0.
    /// @param metadataURI Where the rest of the machine's characteristics are described.
    /// @return machineId The new machine's id.
    function registerMachine(
        bytes16 process,
        bytes16 material,
        uint32[3] calldata envelope,
        string calldata metadataURI
    ) external returns (uint256 machineId);

    /// @notice Current key fingerprint of `account` (zero if none published).
    function fingerprintOf(address account) external view returns (bytes32);

    /// @notice Machine `machineId`; an unknown id gives a zeroed record (owner == address(0)).
    function machine(uint256 machineId) external view returns (Machine memory);

    /// @notice Metadata URI of machine `machineId`; reverts with MachineNotFound if unknown.
    function machineURI(uint256 machineId) external view returns (string memory);

    /// @notice Owner of machine `machineId`; reverts with MachineNotFound if unknown.
    function machineOwner(uint256 machineId) external view returns (address);

    /// @notice Number of machines; their ids are 1..machineCount().
    function machineCount() external view returns (uint256);
}
