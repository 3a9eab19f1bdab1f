// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Tessera Reward (TSRA)
/// @notice The ERC-20 in which Tessera pays contributors. 8 decimals, like HBAR's tinybars and typical
/// Hedera Token Service tokens, so one smallest unit here is one smallest unit of an HTS twin.
/// @dev Only holders of `MINTER_ROLE` mint; `DEFAULT_ADMIN_ROLE` grants and revokes roles. There is no
/// cap and no burn: supply is whatever the minters put into the reward budget.
contract RewardToken is ERC20, AccessControl {
    /// @notice May call `mint`.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice An address argument that must be set was the zero address.
    error ZeroAddress();

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` and `MINTER_ROLE`.
    constructor(address admin) ERC20("Tessera Reward", "TSRA") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice 8, as HBAR (tinybars) and most HTS fungible tokens.
    function decimals() public pure override returns (uint8) {
        return 8;
    }

    /// @notice Creates `amount` smallest units for `to`.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
