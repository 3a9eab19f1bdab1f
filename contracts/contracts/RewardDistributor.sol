// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Tessera epoch reward distributor
/// @notice Holds reward tokens and pays them out against one Merkle root per epoch. The coordinator
/// (`EPOCH_POSTER_ROLE`) posts `(epoch, root, total)`; anyone may then submit a claim for an
/// `(account, amount)` leaf of that epoch's tree, and the tokens always go to `account`.
///
/// Leaves are those of OpenZeppelin merkle-tree's `StandardMerkleTree.of(values, ['address', 'uint256'])`:
/// `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))`.
///
/// Solvency: an epoch is accepted only when the contract's balance covers it plus everything still
/// unclaimed from earlier epochs (`totalOutstanding`), and an epoch never pays out more than its
/// posted `total`. Fund the distributor before posting.
contract RewardDistributor is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice May call `postEpoch`.
    bytes32 public constant EPOCH_POSTER_ROLE = keccak256("EPOCH_POSTER_ROLE");

    /// @dev Hedera's `ResponseCodeEnum.SUCCESS`, returned by HTS system calls.
    int256 private constant HEDERA_SUCCESS = 22;

    struct Epoch {
        bytes32 root;
        uint256 total;
        uint256 claimed;
    }

    /// @notice The token paid out (an ERC-20, or an HTS token through its HIP-218 facade).
    IERC20 public immutable token;

    /// @notice Sum over posted epochs of `total - claimed`: what the contract still owes.
    uint256 public totalOutstanding;

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(uint64 epoch => mapping(address account => bool)) private _claimed;

    /// @notice `epoch`'s root is on chain; its leaves sum to `total`.
    event EpochPosted(uint64 indexed epoch, bytes32 root, uint256 total);
    /// @notice `amount` of `epoch` was paid to `account`.
    event Claimed(uint64 indexed epoch, address indexed account, uint256 amount);
    /// @notice The admin took `amount` of unowed balance to `to`.
    event SurplusWithdrawn(address indexed to, uint256 amount);

    /// @notice An address argument that must be set was the zero address.
    error ZeroAddress();
    /// @notice No root has been posted for `epoch`.
    error UnknownEpoch(uint64 epoch);
    /// @notice `epoch` already has a root; roots are immutable.
    error EpochAlreadyPosted(uint64 epoch);
    /// @notice The root is `bytes32(0)`.
    error EmptyRoot();
    /// @notice The posted total is zero (an epoch without rewards is not posted).
    error ZeroTotal();
    /// @notice Posting would leave the contract owing `required` while holding only `available`.
    error InsufficientFunding(uint256 required, uint256 available);
    /// @notice `account` already claimed `epoch`.
    error AlreadyClaimed(uint64 epoch, address account);
    /// @notice The proof does not lead from `(account, amount)` to the epoch's root.
    error InvalidProof();
    /// @notice Paying this claim would take `epoch` past its posted `total` (a bad tree).
    error EpochTotalExceeded(uint64 epoch, uint256 total, uint256 claimedAfter);
    /// @notice Only balance above `totalOutstanding` can be withdrawn.
    error InsufficientSurplus(uint256 requested, uint256 available);
    /// @notice The HTS association call failed (`-1`: it reverted or returned nothing).
    error TokenAssociationFailed(int256 responseCode);

    /// @param token_ The reward token.
    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (grants roles, withdraws surplus).
    /// @param poster Receives `EPOCH_POSTER_ROLE` (the coordinator's key).
    constructor(IERC20 token_, address admin, address poster) {
        if (address(token_) == address(0) || admin == address(0) || poster == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(EPOCH_POSTER_ROLE, poster);
    }

    /// @notice Publishes `epoch`'s Merkle root. Each epoch is posted once; the contract must already
    /// hold `total` on top of what it owes for earlier epochs.
    function postEpoch(uint64 epoch, bytes32 root, uint256 total) external onlyRole(EPOCH_POSTER_ROLE) {
        if (root == bytes32(0)) revert EmptyRoot();
        if (total == 0) revert ZeroTotal();
        Epoch storage e = _epochs[epoch];
        if (e.root != bytes32(0)) revert EpochAlreadyPosted(epoch);

        uint256 required = totalOutstanding + total;
        uint256 available = token.balanceOf(address(this));
        if (available < required) revert InsufficientFunding(required, available);

        e.root = root;
        e.total = total;
        totalOutstanding = required;
        emit EpochPosted(epoch, root, total);
    }

    /// @notice Pays `amount` of `epoch` to `account`, once, given a proof of the leaf
    /// `(account, amount)`. Anyone may submit it (a relayer, the coordinator, the contributor).
    function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof) external nonReentrant {
        Epoch storage e = _epochs[epoch];
        bytes32 root = e.root;
        if (root == bytes32(0)) revert UnknownEpoch(epoch);
        if (_claimed[epoch][account]) revert AlreadyClaimed(epoch, account);

        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof();

        uint256 claimedAfter = e.claimed + amount;
        if (claimedAfter > e.total) revert EpochTotalExceeded(epoch, e.total, claimedAfter);

        _claimed[epoch][account] = true;
        e.claimed = claimedAfter;
        totalOutstanding -= amount;
        emit Claimed(epoch, account, amount);

        token.safeTransfer(account, amount);
    }

    /// @notice Whether `account` has claimed `epoch`.
    function isClaimed(uint64 epoch, address account) external view returns (bool) {
        return _claimed[epoch][account];
    }

    /// @notice `epoch`'s root, `bytes32(0)` when not posted.
    function epochRoot(uint64 epoch) external view returns (bytes32) {
        return _epochs[epoch].root;
    }

    /// @notice `epoch`'s root, posted total and amount claimed so far (all zero when not posted).
    function epochInfo(uint64 epoch) external view returns (bytes32 root, uint256 total, uint256 claimed) {
        Epoch storage e = _epochs[epoch];
        return (e.root, e.total, e.claimed);
    }

    /// @notice Balance not owed to any posted epoch.
    function surplus() public view returns (uint256) {
        uint256 balance = token.balanceOf(address(this));
        uint256 owed = totalOutstanding;
        return balance > owed ? balance - owed : 0;
    }

    /// @notice Sends up to `surplus()` to `to` (over-funding, mistaken transfers). Never touches what
    /// posted epochs are owed.
    function withdrawSurplus(address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 available = surplus();
        if (amount > available) revert InsufficientSurplus(amount, available);
        emit SurplusWithdrawn(to, amount);
        token.safeTransfer(to, amount);
    }

    /// @notice Hedera only: associates this contract with `token` when it is an HTS token, through the
    /// HIP-719 facade (`IHRC719.associate()`), so that it can hold it. A contract deployed through the
    /// JSON-RPC relay has no auto-association slots and no admin key, so it must make this call itself.
    /// Reverts with `TokenAssociationFailed` on a plain ERC-20 (no such function).
    function associateToken() external onlyRole(DEFAULT_ADMIN_ROLE) {
        (bool ok, bytes memory returned) = address(token).call(abi.encodeWithSignature("associate()"));
        if (!ok || returned.length != 32) revert TokenAssociationFailed(-1);
        int256 responseCode = abi.decode(returned, (int256));
        if (responseCode != HEDERA_SUCCESS) revert TokenAssociationFailed(responseCode);
    }
}
