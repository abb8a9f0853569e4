// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMembership, ANY_PARTICIPANT} from "../interfaces/IMembership.sol";

/// @title IMembershipGated
/// @notice The membership a prodnet contract checks roles against.
interface IMembershipGated {
    /// @notice The membership contract, or address(0) in public mode.
    function membership() external view returns (IMembership);
}

/// @title MembershipGated
/// @notice Base of the prodnet contracts: with a membership contract set at deployment
/// (permissioned mode) every state change needs the right role; with address(0) (public
/// mode) the checks cost one comparison and let everyone through.
abstract contract MembershipGated is IMembershipGated {
    /// @inheritdoc IMembershipGated
    IMembership public immutable membership;

    /// @param membership_ Membership contract, or address(0) for public mode.
    constructor(IMembership membership_) {
        membership = membership_;
    }

    /// @dev Reverts with NotMember unless public mode or msg.sender holds `role`.
    function _checkRole(bytes32 role) internal view {
        IMembership m = membership;
        if (address(m) != address(0) && !m.hasRole(role, msg.sender)) {
            revert IMembership.NotMember(msg.sender, role);
        }
    }

    /// @dev Reverts with NotMember unless public mode or msg.sender holds a participant role.
    function _checkParticipant() internal view {
        IMembership m = membership;
        if (address(m) != address(0) && !m.isParticipant(msg.sender)) {
            revert IMembership.NotMember(msg.sender, ANY_PARTICIPANT);
        }
    }
}
