/// The proof of possession of a storage node's BLS protocol key: a BLS min_pk signature by the
/// key itself over
/// `intent_type (0) ‖ intent_version (0) ‖ app_id (3) ‖ epoch (u32 LE) ‖ sender (32 bytes) ‖
/// public key (48 bytes, no length prefix)`,
/// the bytes the Rust `ProofOfPossessionMsg` serializes to with BCS.
module walrus::proof_of_possession;

use sui::bcs;
use sui::bls12381;

// === Constants ===

/// Intent type of a proof of possession.
const PROOF_OF_POSSESSION_INTENT: u8 = 0;
/// Intent version.
const INTENT_VERSION: u8 = 0;
/// Application id of Walrus ("storage").
const APP_ID: u8 = 3;

// === Public functions ===

/// The message a node signs to prove it holds the secret key of `public_key`.
public fun message(epoch: u32, sender: address, public_key: vector<u8>): vector<u8> {
    let mut msg = vector[PROOF_OF_POSSESSION_INTENT, INTENT_VERSION, APP_ID];
    msg.append(bcs::to_bytes(&epoch));
    msg.append(bcs::to_bytes(&sender));
    msg.append(public_key);
    msg
}

/// Whether `signature` is a valid proof of possession of `public_key` for `epoch` and `sender`.
public fun verify(
    epoch: u32,
    sender: address,
    public_key: vector<u8>,
    signature: &vector<u8>,
): bool {
    let msg = message(epoch, sender, public_key);
    bls12381::bls12381_min_pk_verify(signature, &public_key, &msg)
}
