// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

interface IClaimable {
    function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external;
}

/// @dev Test-only: a token whose `transfer` calls back into the distributor once, replaying a claim.
contract ReentrantToken is ERC20 {
    IClaimable private _target;
    uint64 private _epoch;
    address private _account;
    uint256 private _amount;
    bytes32[] private _proof;
    bool private _armed;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(IClaimable target, uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external {
        _target = target;
        _epoch = epoch;
        _account = account;
        _amount = amount;
        _proof = proof;
        _armed = true;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (_armed) {
            _armed = false;
            _target.claim(_epoch, _account, _amount, _proof);
        }
        return super.transfer(to, value);
    }
}
