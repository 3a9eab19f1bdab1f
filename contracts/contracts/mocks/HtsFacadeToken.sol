// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev Test-only: an ERC-20 that also answers HIP-719's `associate()` the way an HTS token's facade
/// does, with a configurable response code (22 = SUCCESS).
contract HtsFacadeToken is ERC20 {
    int256 public responseCode = 22;
    mapping(address account => bool) public associated;

    constructor() ERC20("HTS facade", "HTS") {}

    function setResponseCode(int256 code) external {
        responseCode = code;
    }

    function associate() external returns (int256) {
        if (responseCode == 22) associated[msg.sender] = true;
        return responseCode;
    }
}
