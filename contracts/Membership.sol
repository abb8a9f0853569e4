// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {
    IMembership,
    PRODUCER_ROLE as PRODUCER,
    CUSTOMER_ROLE as CUSTOMER,
    ARBITER_ROLE as ARBITER
} from "./interfaces/IMembership.sol";

/// @title Membership
/// @notice Roles of a permissioned deployment. The admin (DEFAULT_ADMIN_ROLE, given to the
/// deployer's chosen account) grants PRODUCER_ROLE, CUSTOMER_ROLE and ARBITER_ROLE; an account may hold both.
contract Membership is AccessControl, IMembership {
    /// @inheritdoc IMembership
    bytes32 public constant PRODUCER_ROLE = PRODUCER;
    /// @inheritdoc IMembership
    bytes32 public constant CUSTOMER_ROLE = CUSTOMER;
    /// @inheritdoc IMembership
    bytes32 public constant ARBITER_ROLE = ARBITER;

    /// @param admin Account that receives DEFAULT_ADMIN_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IMembership
    function isParticipant(address account) external view returns (bool) {
        return hasRole(PRODUCER, account) || hasRole(CUSTOMER, account);
    }
}
