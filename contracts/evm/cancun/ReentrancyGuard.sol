// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The reentrancy guard of the Cancun build (public chains): OpenZeppelin's guard in
// transient storage (EIP-1153). ProductionOrders imports it as @prodnet/evm/ReentrancyGuard.sol;
// ape-config.yaml maps @prodnet/evm to this folder. The London build (the members' geth
// network, which has no transient storage) maps it to ../london instead.
import {ReentrancyGuardTransient as ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
