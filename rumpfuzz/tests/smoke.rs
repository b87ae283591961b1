//! Runs every fuzz entry point over pseudo-random and hand-picked inputs, so
//! that the targets stay working and the plain test suite already exercises
//! hostile input. Deeper runs: `cargo fuzz run TARGET` in `fuzz/`.

struct XorShift(u64);

impl XorShift {
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = (self.next() as usize) % max;
        (0..len).map(|_| self.next() as u8).collect()
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run(f: fn(&[u8]), seeds: &[&[u8]], iterations: usize) {
    for s in seeds {
        f(s);
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..iterations {
        f(&rng.bytes(400));
    }
}

#[test]
fn syscall_smoke() {
    run(rumpfuzz::syscall, &[b"", &[7; 70], &[0xff; 200]], 3000);
}

#[test]
fn sysctl_smoke() {
    // name {kern, query}; {vendor, create} with a versioned node record.
    let mut create = vec![2u8, 19, 5];
    create.extend_from_slice(&[0, 0, 0, 1, 0xfd, 0xff, 0xff, 0xff]);
    run(rumpfuzz::sysctl, &[b"", &[2, 9, 6], &create], 3000);
}

#[test]
fn boot_config_smoke() {
    run(
        rumpfuzz::boot_config,
        &[
            b"host\n1\n0\n16m\n5",
            b"0\n\n\nk\n0",
            b"300\nx\ny\n99999999999999999999g",
        ],
        3000,
    );
}
