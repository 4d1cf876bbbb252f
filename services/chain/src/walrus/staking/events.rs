//! The staking events of `move/walrus/sources/system/events.move`, with Move's BCS layout.

use serde::Serialize;

/// An event the staking code emits (all are `walrus::events::*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StakingEvent {
    /// `EpochChangeStart { epoch: u32 }`.
    EpochChangeStart {
        /// The new epoch.
        epoch: u32,
    },
    /// `EpochChangeDone { epoch: u32 }`.
    EpochChangeDone {
        /// The epoch whose change is done.
        epoch: u32,
    },
    /// `ShardsReceived { epoch: u32, shards: vector<u16> }`.
    ShardsReceived {
        /// The epoch.
        epoch: u32,
        /// The node's shards.
        shards: Vec<u16>,
    },
    /// `EpochParametersSelected { next_epoch: u32 }`.
    EpochParametersSelected {
        /// The epoch the parameters are for.
        next_epoch: u32,
    },
    /// `PricesUpdated { epoch: u32, storage_price: u64, write_price: u64 }`.
    PricesUpdated {
        /// The epoch.
        epoch: u32,
        /// FROST per unit per epoch.
        storage_price: u64,
        /// FROST per unit.
        write_price: u64,
    },
}

impl StakingEvent {
    /// The struct name in `walrus::events`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::EpochChangeStart { .. } => "EpochChangeStart",
            Self::EpochChangeDone { .. } => "EpochChangeDone",
            Self::ShardsReceived { .. } => "ShardsReceived",
            Self::EpochParametersSelected { .. } => "EpochParametersSelected",
            Self::PricesUpdated { .. } => "PricesUpdated",
        }
    }

    /// The event struct's BCS bytes, as Move's `bcs::to_bytes` gives them (fields in order,
    /// no enum tag).
    pub fn bcs(&self) -> Vec<u8> {
        let bytes = match self {
            Self::EpochChangeStart { epoch } | Self::EpochChangeDone { epoch } => {
                bcs::to_bytes(epoch)
            }
            Self::EpochParametersSelected { next_epoch } => bcs::to_bytes(next_epoch),
            Self::ShardsReceived { epoch, shards } => bcs::to_bytes(&(epoch, shards)),
            Self::PricesUpdated {
                epoch,
                storage_price,
                write_price,
            } => bcs::to_bytes(&(epoch, storage_price, write_price)),
        };
        // Plain integers and vectors always serialize.
        bytes.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The staking vectors of move/walrus/tests/bcs_vectors.json.
    #[test]
    fn bcs_matches_the_move_vectors() {
        let json: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../../move/walrus/tests/bcs_vectors.json"
        ))
        .unwrap();
        let hex_of = |name: &str| -> String {
            json.as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == name)
                .unwrap()["hex"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let cases = [
            StakingEvent::EpochChangeStart { epoch: 10 },
            StakingEvent::EpochChangeDone { epoch: 10 },
            StakingEvent::ShardsReceived {
                epoch: 10,
                shards: vec![0, 1, 513],
            },
            StakingEvent::EpochParametersSelected { next_epoch: 11 },
            StakingEvent::PricesUpdated {
                epoch: 10,
                storage_price: 100_000,
                write_price: 20_000,
            },
        ];
        for e in cases {
            assert_eq!(hex::encode(e.bcs()), hex_of(e.name()), "{}", e.name());
        }
        let long = StakingEvent::ShardsReceived {
            epoch: 1,
            shards: (0..200).collect(),
        };
        #[derive(Serialize)]
        struct Twin {
            epoch: u32,
            shards: Vec<u16>,
        }
        let twin = Twin {
            epoch: 1,
            shards: (0..200).collect(),
        };
        assert_eq!(long.bcs(), bcs::to_bytes(&twin).unwrap());
    }
}
