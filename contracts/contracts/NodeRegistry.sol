// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Tessera node registry
/// @notice A public, account-signed record of which tab keys belong to which linked account, what each key
/// does (worker or guard) and which models it serves, plus the coordinator's per-epoch reputation summaries.
/// Accounts are EVM addresses (a Hedera account's EVM address, as for `RewardDistributor`).
///
/// Why on chain: the coordinator already knows all of this, but a registry signed by the accounts themselves
/// lets a volunteer page or an indexer check who runs what without trusting the coordinator, and the
/// immutable summaries let anyone check later that a published reputation table was not rewritten.
/// Settlement does not depend on it: `RewardDistributor` never reads this contract.
///
/// Keys are identified by a `bytes32` (e.g. the sha256 of the tab's public key). Models are `bytes32`
/// model-id hashes, not strings: a fixed-size word costs one storage slot each and compares in one
/// instruction, while strings cost a length slot plus data and make gas depend on the model's name.
/// Both lists are capped (`MAX_MODELS_PER_KEY`, `MAX_KEYS_PER_ACCOUNT`) so that every call, views included,
/// stays bounded.
contract NodeRegistry is AccessControl {
    /// @notice May call `postSummary` (the coordinator's key; same id as `RewardDistributor`'s role, so the
    /// coordinator's one role id serves both).
    bytes32 public constant EPOCH_POSTER_ROLE = keccak256("EPOCH_POSTER_ROLE");

    /// @notice At most this many models per key (bounds gas of register/update and of the views).
    uint256 public constant MAX_MODELS_PER_KEY = 32;
    /// @notice At most this many keys per account (bounds `keysOf`).
    uint256 public constant MAX_KEYS_PER_ACCOUNT = 64;

    /// @notice What a tab key does. `None` marks an unregistered key and is never accepted.
    enum Role {
        None,
        Worker,
        Guard
    }

    struct Key {
        address account;
        Role role;
        /// @dev 1 + the key's position in `_accountKeys[account]` (0: not registered), for O(1) removal.
        uint32 slot;
        bytes32[] models;
    }

    struct Summary {
        bytes32 root;
        uint32 nodeCount;
        uint64 postedAt;
    }

    mapping(bytes32 keyId => Key) private _keys;
    mapping(address account => bytes32[]) private _accountKeys;
    mapping(uint64 epoch => Summary) private _summaries;

    /// @notice `account` registered `keyId` with `role` and `models`.
    event KeyRegistered(address indexed account, bytes32 indexed keyId, Role role, bytes32[] models);
    /// @notice `account` changed `keyId`'s role or models (the new values).
    event KeyUpdated(address indexed account, bytes32 indexed keyId, Role role, bytes32[] models);
    /// @notice `account` removed `keyId`; it is free to be registered again.
    event KeyDeregistered(address indexed account, bytes32 indexed keyId);
    /// @notice The coordinator published `epoch`'s reputation summary.
    event SummaryPosted(uint64 indexed epoch, bytes32 root, uint32 nodeCount);

    /// @notice An address argument that must be set was the zero address.
    error ZeroAddress();
    /// @notice The key id is `bytes32(0)`.
    error ZeroKey();
    /// @notice The role is `None`.
    error InvalidRole();
    /// @notice More than `MAX_MODELS_PER_KEY` models.
    error TooManyModels(uint256 count, uint256 max);
    /// @notice The account already has `MAX_KEYS_PER_ACCOUNT` keys.
    error TooManyKeys(address account, uint256 max);
    /// @notice `keyId` is registered already, to `account` (the caller may `updateKey` its own).
    error KeyTaken(bytes32 keyId, address account);
    /// @notice `keyId` is not registered.
    error UnknownKey(bytes32 keyId);
    /// @notice `keyId` belongs to `account`, not to the caller.
    error NotKeyOwner(bytes32 keyId, address account);
    /// @notice `epoch`'s summary is on chain already; summaries are immutable.
    error SummaryAlreadyPosted(uint64 epoch);
    /// @notice The summary root is `bytes32(0)`.
    error EmptyRoot();

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (grants and revokes the poster role).
    /// @param poster Receives `EPOCH_POSTER_ROLE` (the coordinator's key).
    constructor(address admin, address poster) {
        if (admin == address(0) || poster == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(EPOCH_POSTER_ROLE, poster);
    }

    /// @notice Registers `keyId` to the caller. A key belongs to at most one account, so a key already
    /// registered (to anyone, the caller included) is refused; use `updateKey` to change your own.
    function registerKey(bytes32 keyId, Role role, bytes32[] calldata models) external {
        if (keyId == bytes32(0)) revert ZeroKey();
        Key storage key = _keys[keyId];
        if (key.account != address(0)) revert KeyTaken(keyId, key.account);
        _checkEntry(role, models);
        bytes32[] storage owned = _accountKeys[msg.sender];
        if (owned.length >= MAX_KEYS_PER_ACCOUNT) revert TooManyKeys(msg.sender, MAX_KEYS_PER_ACCOUNT);

        owned.push(keyId);
        key.account = msg.sender;
        key.role = role;
        key.slot = uint32(owned.length);
        key.models = models;
        emit KeyRegistered(msg.sender, keyId, role, models);
    }

    /// @notice Replaces the role and models of one of the caller's keys.
    function updateKey(bytes32 keyId, Role role, bytes32[] calldata models) external {
        Key storage key = _ownKey(keyId);
        _checkEntry(role, models);
        key.role = role;
        key.models = models;
        emit KeyUpdated(msg.sender, keyId, role, models);
    }

    /// @notice Removes one of the caller's keys (swap-and-pop in the account's list, so order may change).
    function deregisterKey(bytes32 keyId) external {
        Key storage key = _ownKey(keyId);
        bytes32[] storage owned = _accountKeys[msg.sender];
        uint256 index = key.slot - 1;
        uint256 last = owned.length - 1;
        if (index != last) {
            bytes32 moved = owned[last];
            owned[index] = moved;
            _keys[moved].slot = uint32(index + 1);
        }
        owned.pop();
        delete _keys[keyId]; // clears account, role, slot and the models array
        emit KeyDeregistered(msg.sender, keyId);
    }

    /// @notice Publishes `epoch`'s reputation summary: `root` is the Merkle root (or hash) of the
    /// coordinator's per-node table, `nodeCount` how many nodes it covers. Once per epoch, never overwritten,
    /// so a table published off chain can be checked against it later.
    function postSummary(uint64 epoch, bytes32 root, uint32 nodeCount) external onlyRole(EPOCH_POSTER_ROLE) {
        if (root == bytes32(0)) revert EmptyRoot();
        Summary storage s = _summaries[epoch];
        if (s.root != bytes32(0)) revert SummaryAlreadyPosted(epoch);
        s.root = root;
        s.nodeCount = nodeCount;
        s.postedAt = uint64(block.timestamp);
        emit SummaryPosted(epoch, root, nodeCount);
    }

    /// @notice The keys registered to `account` (at most `MAX_KEYS_PER_ACCOUNT`).
    function keysOf(address account) external view returns (bytes32[] memory) {
        return _accountKeys[account];
    }

    /// @notice The account `keyId` is registered to, `address(0)` when none.
    function accountOf(bytes32 keyId) external view returns (address) {
        return _keys[keyId].account;
    }

    /// @notice `keyId`'s role (`None` when not registered).
    function roleOf(bytes32 keyId) external view returns (Role) {
        return _keys[keyId].role;
    }

    /// @notice The model-id hashes `keyId` serves (empty when not registered).
    function modelsOf(bytes32 keyId) external view returns (bytes32[] memory) {
        return _keys[keyId].models;
    }

    /// @notice Everything about `keyId` in one call (zero values when not registered).
    function keyInfo(bytes32 keyId) external view returns (address account, Role role, bytes32[] memory models) {
        Key storage key = _keys[keyId];
        return (key.account, key.role, key.models);
    }

    /// @notice `epoch`'s summary (all zero when not posted); `postedAt` is the block timestamp.
    function epochSummary(uint64 epoch) external view returns (bytes32 root, uint32 nodeCount, uint64 postedAt) {
        Summary storage s = _summaries[epoch];
        return (s.root, s.nodeCount, s.postedAt);
    }

    function _ownKey(bytes32 keyId) private view returns (Key storage key) {
        key = _keys[keyId];
        if (key.account == address(0)) revert UnknownKey(keyId);
        if (key.account != msg.sender) revert NotKeyOwner(keyId, key.account);
    }

    function _checkEntry(Role role, bytes32[] calldata models) private pure {
        if (role == Role.None) revert InvalidRole();
        if (models.length > MAX_MODELS_PER_KEY) revert TooManyModels(models.length, MAX_MODELS_PER_KEY);
    }
}
