// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @dev Role held by producers: register machines, open and take orders, ship, finalize.
bytes32 constant PRODUCER_ROLE = keccak256("PRODUCER_ROLE");
/// @dev Role held by customers: request and join orders, submit models, confirm receipt.
bytes32 constant CUSTOMER_ROLE = keccak256("CUSTOMER_ROLE");
/// @dev Role held by arbiters: resolve disputed jobs of orders they are not a party to.
bytes32 constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
/// @dev Pseudo-role reported by {IMembership-NotMember} when either PRODUCER_ROLE or
/// CUSTOMER_ROLE would do (publishing a key, withdrawing, closing an order after its window).
/// Granting it has no effect.
bytes32 constant ANY_PARTICIPANT = keccak256("ANY_PARTICIPANT");

/// @title Membership of a permissioned prodnet deployment
/// @notice Roles (OpenZeppelin AccessControl): DEFAULT_ADMIN_ROLE grants and revokes
/// PRODUCER_ROLE, CUSTOMER_ROLE and ARBITER_ROLE. Contracts deployed with a membership address accept
/// state changes only from accounts holding the role the step needs.
interface IMembership is IAccessControl {
    /// @notice `account` lacks `role` (ANY_PARTICIPANT: holds neither participant role).
    error NotMember(address account, bytes32 role);

    /// @notice keccak256("PRODUCER_ROLE").
    function PRODUCER_ROLE() external view returns (bytes32);

    /// @notice keccak256("CUSTOMER_ROLE").
    function CUSTOMER_ROLE() external view returns (bytes32);

    /// @notice keccak256("ARBITER_ROLE").
    function ARBITER_ROLE() external view returns (bytes32);

    /// @notice True if `account` holds PRODUCER_ROLE or CUSTOMER_ROLE.
    function isParticipant(address account) external view returns (bool);
}
