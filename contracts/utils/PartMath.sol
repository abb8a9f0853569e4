// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PartMath
/// @notice Geometry and pricing of parts: lengths in micrometres, volumes in mm3.
library PartMath {
    /// @dev Cubic micrometres in a cubic millimetre.
    uint256 internal constant UM3_PER_MM3 = 1e9;
    /// @dev Cubic millimetres in a cubic centimetre.
    uint256 internal constant MM3_PER_CM3 = 1000;

    /// @notice Bounding-box volume of `dims` in mm3, rounded up.
    function boxVolume(uint32[3] memory dims) internal pure returns (uint256) {
        return Math.ceilDiv(uint256(dims[0]) * dims[1] * dims[2], UM3_PER_MM3);
    }

    /// @notice Build space of `quantity` parts with bounding box `dims`, mm3.
    function buildSpace(uint32[3] memory dims, uint32 quantity) internal pure returns (uint256) {
        return boxVolume(dims) * quantity;
    }

    /// @notice ceil(pricePerCm3 x buildSpace / 1000): the price of `buildSpace` mm3.
    function price(uint96 pricePerCm3, uint256 buildSpace_) internal pure returns (uint256) {
        return Math.ceilDiv(uint256(pricePerCm3) * buildSpace_, MM3_PER_CM3);
    }

    /// @notice True if `dims` fit `envelope` in some axis-aligned orientation.
    function fits(uint32[3] memory dims, uint32[3] memory envelope) internal pure returns (bool) {
        uint32[3] memory d = sort(dims);
        uint32[3] memory e = sort(envelope);
        return d[0] <= e[0] && d[1] <= e[1] && d[2] <= e[2];
    }

    /// @notice `v` in ascending order.
    function sort(uint32[3] memory v) internal pure returns (uint32[3] memory) {
        (uint32 a, uint32 b, uint32 c) = (v[0], v[1], v[2]);
        if (a > b) (a, b) = (b, a);
        if (b > c) (b, c) = (c, b);
        if (a > b) (a, b) = (b, a);
        return [a, b, c];
    }
}
