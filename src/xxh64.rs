//! XXH64 (Yann Collet's xxHash, 64-bit), one-shot and streaming: the checksum of checkpoint
//! files and of disk blocks. Written here to avoid a dependency (see DESIGN.md, Dependencies);
//! it matches the reference implementation's values. A leaf module: it uses no other layer.

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

/// XXH64 of `data` in one call.
pub(crate) fn xxh64(data: &[u8], seed: u64) -> u64 {
    let mut h = Xxh64::new(seed);
    h.update(data);
    h.digest()
}

pub(crate) fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn round(acc: u64, lane: u64) -> u64 {
    acc.wrapping_add(lane.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge(h: u64, acc: u64) -> u64 {
    (h ^ round(0, acc)).wrapping_mul(P1).wrapping_add(P4)
}

/// Streaming XXH64: 32-byte stripes over four lanes, a partial stripe kept between updates.
pub(crate) struct Xxh64 {
    seed: u64,
    acc: [u64; 4],
    pending: [u8; 32],
    pending_len: usize,
    total_len: u64,
}

impl Xxh64 {
    pub(crate) fn new(seed: u64) -> Self {
        let acc = [
            seed.wrapping_add(P1).wrapping_add(P2),
            seed.wrapping_add(P2),
            seed,
            seed.wrapping_sub(P1),
        ];
        Xxh64 {
            seed,
            acc,
            pending: [0; 32],
            pending_len: 0,
            total_len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total_len += data.len() as u64;
        if self.pending_len > 0 {
            let take = data.len().min(32 - self.pending_len);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < 32 {
                return;
            }
            let stripe = self.pending;
            Self::stripes(&mut self.acc, &stripe);
            self.pending_len = 0;
        }
        let whole = data.len() / 32 * 32;
        Self::stripes(&mut self.acc, &data[..whole]);
        let rest = &data[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Folds whole 32-byte stripes into the four lanes.
    pub(crate) fn stripes(acc: &mut [u64; 4], data: &[u8]) {
        let [mut a, mut b, mut c, mut d] = *acc;
        for s in data.chunks_exact(32) {
            a = round(a, read_u64(&s[0..8]));
            b = round(b, read_u64(&s[8..16]));
            c = round(c, read_u64(&s[16..24]));
            d = round(d, read_u64(&s[24..32]));
        }
        *acc = [a, b, c, d];
    }

    pub(crate) fn digest(&self) -> u64 {
        let [a, b, c, d] = self.acc;
        let mut h = if self.total_len >= 32 {
            let h = a
                .rotate_left(1)
                .wrapping_add(b.rotate_left(7))
                .wrapping_add(c.rotate_left(12));
            let h = h.wrapping_add(d.rotate_left(18));
            merge(merge(merge(merge(h, a), b), c), d)
        } else {
            self.seed.wrapping_add(P5)
        };
        h = h.wrapping_add(self.total_len);
        let mut tail = &self.pending[..self.pending_len];
        while tail.len() >= 8 {
            h = (h ^ round(0, read_u64(tail)))
                .rotate_left(27)
                .wrapping_mul(P1)
                .wrapping_add(P4);
            tail = &tail[8..];
        }
        if tail.len() >= 4 {
            let word = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
            h = (h ^ word.wrapping_mul(P1))
                .rotate_left(23)
                .wrapping_mul(P2)
                .wrapping_add(P3);
            tail = &tail[4..];
        }
        for &byte in tail {
            h = (h ^ (byte as u64).wrapping_mul(P5))
                .rotate_left(11)
                .wrapping_mul(P1);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(P2);
        h ^= h >> 29;
        h = h.wrapping_mul(P3);
        h ^ (h >> 32)
    }
}
