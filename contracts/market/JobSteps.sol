// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketStorage} from "./MarketStorage.sol";

/// @title JobSteps
/// @notice The checks and effects on a job that both the market and its extension run: a
/// job's status, and recording a customer's encrypted model (submitModel in the market,
/// submitModels in the extension). MarketSteps adds the rest, for the market's modules only.
abstract contract JobSteps is MarketStorage {
    function _requireJobStatus(uint256 orderId, uint256 jobId, Job storage job, JobStatus wanted) internal view {
        JobStatus status = job.status;
        if (status != wanted) revert WrongJobStatus(orderId, jobId, status);
    }

    /// @dev Records the caller's encrypted model for its Joined job of a Closed order.
    function _recordModel(uint256 orderId, uint256 jobId, bytes32 sha256Digest, string calldata uri) internal {
        (Order storage order, Job storage job) = _customerJob(orderId, jobId);
        if (order.status != OrderStatus.Closed) revert WrongOrderStatus(orderId, order.status);
        _requireJobStatus(orderId, jobId, job, JobStatus.Joined);
        if (sha256Digest == 0 || bytes(uri).length == 0) revert EmptyModel();
        job.status = JobStatus.ModelSubmitted;
        job.digest = sha256Digest;
        emit ModelSubmitted(orderId, jobId, sha256Digest, uri);
    }
}
