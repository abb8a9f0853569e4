// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The reentrancy guard of the London build (the members' geth network: Clique runs London at
// most, so no transient storage): OpenZeppelin's guard in a storage slot, with the same
// nonReentrant modifier and ReentrancyGuardReentrantCall error as the transient one.
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
