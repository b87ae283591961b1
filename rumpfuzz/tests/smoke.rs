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

#[test]
fn disklabel_smoke() {
    // A valid label at sector 1 with one partition, then mutations of it.
    let mut img = vec![b'a'];
    img.resize(1 + 512, 0);
    let mut l = vec![0u8; 164];
    l[0..4].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[132..136].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[138..140].copy_from_slice(&1u16.to_le_bytes());
    l[148..152].copy_from_slice(&u32::MAX.to_le_bytes());
    l[152..156].copy_from_slice(&u32::MAX.to_le_bytes());
    let sum = l
        .chunks(2)
        .fold(0u16, |s, w| s ^ u16::from_le_bytes([w[0], w[1]]));
    l[136..138].copy_from_slice(&sum.to_le_bytes());
    img.extend_from_slice(&l);
    run(rumpfuzz::disklabel, &[&img, b"b", &[b'v'; 600]], 300);
}

/// A label of `sectors` sectors with partition a, valid (its checksum).
fn valid_label(sectors: u32) -> Vec<u8> {
    let mut l = vec![0u8; 408];
    l[0..4].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[40..44].copy_from_slice(&512u32.to_le_bytes());
    l[56..60].copy_from_slice(&1u32.to_le_bytes());
    l[60..64].copy_from_slice(&sectors.to_le_bytes());
    l[132..136].copy_from_slice(&0x8256_4557u32.to_le_bytes());
    l[138..140].copy_from_slice(&4u16.to_le_bytes());
    l[148..152].copy_from_slice(&sectors.to_le_bytes());
    l[160] = 7;
    l[196..200].copy_from_slice(&sectors.to_le_bytes());
    let sum = l[..212]
        .chunks(2)
        .fold(0u16, |s, w| s ^ u16::from_le_bytes([w[0], w[1]]));
    l[136..138].copy_from_slice(&sum.to_le_bytes());
    l
}

#[test]
fn disk_label_smoke() {
    // A label given to DIOCSDINFO that is also on the medium at sector 1,
    // and an MBR with a NetBSD partition and an extended chain.
    let mut img = valid_label(16);
    img.resize(512, 0);
    img.extend_from_slice(&valid_label(16));
    img.resize(16 * 512, 0);
    let mut mbr = vec![0u8; 8 * 512];
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    mbr[446 + 4] = 0xa9;
    mbr[446 + 8] = 2;
    mbr[446 + 12] = 4;
    mbr[462 + 4] = 0x05;
    mbr[462 + 8] = 6;
    mbr[462 + 12] = 2;
    run(rumpfuzz::disk_label, &[&img, &mbr, b"", &[0xff; 900]], 2000);
}

#[test]
fn vnd_ioctl_smoke() {
    // Configure /img on unit 0 (VNDIOCSET, a fresh argument), read its
    // label, write one, get, clear.
    let seeds: &[&[u8]] = &[
        &[6, 0, 3, 0, 0, 3, 3, 0, 0, 2, 3, 0, 0],
        &[
            9, 4, 0, 3, 0, 1, 0, 0, 1, 3, 0, 0, 0, 4, 3, 10, 0, 5, 3, 0, 0,
        ],
        b"",
    ];
    run(rumpfuzz::vnd_ioctl, seeds, 300);
}

#[test]
fn cgd_ioctl_smoke() {
    // CGDIOCSET of aes-cbc/encblkno1 with a 256-bit key on cgd0d (op 0,
    // part 3, names 0 and 4, 32 key bytes), a read of its label, get,
    // clear; and of blowfish with encblkno8.
    let seeds: &[&[u8]] = &[
        &[
            4, 0, 3, 40, 0, 4, 32, 3, 3, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0,
        ],
        &[2, 0, 3, 40, 3, 5, 56, 11, 3, 0, 1, 0, 0],
        b"",
    ];
    run(rumpfuzz::cgd_ioctl, seeds, 300);
}

#[test]
fn cgd_params_smoke() {
    let seeds: &[&[u8]] = &[
        b"algorithm aes-cbc;\niv-method encblkno1;\nkeylength 256;\nverify_method none;\n\
          keygen storedkey key AAABAKWryn5b9e93ERH+/GFT8Cb1Zx \\\n  czEryXaopgDDpww8T0;\n",
        b"algorithm aes-cbc;\nkeygen pkcs5_pbkdf2/sha1 {\n iterations 5;\n salt AAAAgALkIypwcJNK2qlJmx6FtVI=;\n};\n",
        b"keygen_method pkcs5_pbkdf2; keygen_salt AAAAEKur; xor_key AAAAEKur\n# x\n\"q\"",
        b"",
    ];
    run(rumpfuzz::cgd_params, seeds, 3000);
}

#[test]
fn disklabel_proto_smoke() {
    let seeds: &[&[u8]] = &[
        b"type: vnd\ndisk: vnd\nlabel: x\nbytes/sector: 512\nsectors/track: 32\n\
          tracks/cylinder: 64\ncylinders: 1\nrpm: 3600\n2 partitions:\n a: 2048 0 4.2BSD 1024 8192 16\n",
        b" a: 0/1/2 1/x 4.2BSD\n 17 partitions:\nflags: ecc zz\ndrivedata: 1 2 3 4 5 6 7\n",
        &[0x57, 0x45, 0x56, 0x82, 0, 0, 0, 0],
        b"",
    ];
    run(rumpfuzz::disklabel_proto, seeds, 3000);
}

#[test]
fn disk_ioctl_smoke() {
    // Configure 4 MiB on md0 (MD_SETCONF, a fresh argument), add a wedge
    // from the input's bytes, list, read its info through rdk0, get the
    // label and the media size, delete it.
    let mut wedge = vec![9u8, 0, 0, 0, 64, 2, 0, 16, 0, 4, 0, 17, 0, 6, 5, 0, 0];
    wedge.extend_from_slice(&[7, 1, 0, 0, 9, 6, 0, 3, 3, 0, 16, 0]);
    wedge.resize(128 + 208, 0);
    wedge[128 + 16] = b'w';
    wedge[128 + 160] = 8;
    wedge[128 + 168] = 16;
    run(rumpfuzz::disk_ioctl, &[&wedge, b"", &[0xff; 300]], 300);
}

#[test]
fn frame_smoke() {
    run(
        rumpfuzz::frame,
        &[
            b"unix://s",
            b"tcp://1.2.3.4:5/",
            b"key=/k,hostpath=h,size=1m",
        ],
        3000,
    );
}

/// A stream that shakes hands, then sends requests of every type.
fn handshake_then(rest: &[u8]) -> Vec<u8> {
    let mut v = sysproxy::frame(
        &sysproxy::Header::new(0, sysproxy::Class::Req, sysproxy::Type::Handshake, 0, 3),
        b"fz\0",
    );
    v.extend_from_slice(rest);
    v
}

#[test]
fn sp_stream_smoke() {
    let args = sysproxy::payload::emit_args(&[0x1000, 2, 0, 0, 0, 0]);
    let sysctl = sysproxy::frame(
        &sysproxy::Header::new(
            1,
            sysproxy::Class::Req,
            sysproxy::Type::Syscall,
            netbsd_abi::SYS___sysctl as u32,
            args.len(),
        ),
        &args,
    );
    let reboot = sysproxy::frame(
        &sysproxy::Header::new(
            2,
            sysproxy::Class::Req,
            sysproxy::Type::Syscall,
            netbsd_abi::SYS_reboot as u32,
            16,
        ),
        &[0; 16],
    );
    // RB_DUMP: the harness's kernel must not take the fuzzer down with it.
    let mut dump = [0u8; 16];
    dump[..8].copy_from_slice(&0x100u64.to_ne_bytes());
    let dump = sysproxy::frame(
        &sysproxy::Header::new(
            2,
            sysproxy::Class::Req,
            sysproxy::Type::Syscall,
            netbsd_abi::SYS_reboot as u32,
            16,
        ),
        &dump,
    );
    let prefork = sysproxy::frame(
        &sysproxy::Header::new(3, sysproxy::Class::Req, sysproxy::Type::Prefork, 0, 0),
        &[],
    );
    let seeds: Vec<Vec<u8>> = vec![
        handshake_then(&sysctl),
        handshake_then(&reboot),
        handshake_then(&dump),
        handshake_then(&prefork),
        vec![0xff; 100],
    ];
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    run(rumpfuzz::sp_stream, &seeds, 300);
    // The keyed server and calls copied in pieces (fuzz/seeds/sp_stream).
    for (_, seed) in rumpfuzz::sp_stream_seeds() {
        rumpfuzz::sp_stream(&seed);
    }
    // Random bodies after a valid handshake reach the request handling.
    let mut rng = XorShift(7);
    for _ in 0..300 {
        rumpfuzz::sp_stream(&handshake_then(&rng.bytes(300)));
    }
}

#[test]
fn ffs_image_smoke() {
    // Damage aimed at the superblock, the first group and its inodes, then
    // anywhere.
    let mut seeds: Vec<Vec<u8>> = vec![vec![0], vec![1]];
    for (pick, off) in [
        (0u8, 8192u32 + 44),
        (1, 65536 + 48),
        (0, 18 * 512),
        (1, 150 * 512),
        (0, 40 * 512),
    ] {
        let mut s = vec![pick];
        s.extend_from_slice(&off.to_le_bytes());
        s.extend_from_slice(&[7, 0xff, 0x12, 0, 0x80, 1, 0, 0, 0]);
        seeds.push(s);
    }
    // The root inode (inode 2: 28928 in the FFSv1 base, 86528 in the FFSv2
    // one) with two bytes over its mode, or zeroed: made again by repair.
    seeds.push(vec![0, 0x00, 0x71, 0, 0, 1, 0xff, 0xff]);
    let mut zeroed = vec![1, 0x00, 0x52, 0x01, 0, 15];
    zeroed.extend_from_slice(&[0; 16]);
    seeds.push(zeroed);
    // The primary superblock's magic number gone: its first copy is used.
    let mut magic = vec![1];
    magic.extend_from_slice(&(65536u32 + 1372).to_le_bytes());
    magic.extend_from_slice(&[3, 0, 0, 0, 0]);
    seeds.push(magic);
    // Found by the fuzzer: a superblock whose group block size is too
    // small for its maps.
    seeds.push(vec![253, 190, 0, 1, 0, 3, 63, 48, 0, 1, 0, 7, 18, 0, 0]);
    // An inode claiming more blocks than a 64-bit byte count holds.
    seeds.push(vec![
        255, 81, 0, 252, 7, 176, 254, 29, 128, 1, 223, 13, 0, 192, 1, 0, 0, 73,
    ]);
    // Summary counts near the top of their range.
    seeds.push(vec![101, 255, 3, 1, 64, 17, 101, 89, 0, 0, 0, 22, 0, 0, 0]);
    // A directory claiming a size its blocks cannot hold.
    seeds.push(vec![186, 8, 113, 0, 40, 108, 0, 0, 0, 178, 1, 0, 178]);
    // A cluster summary holding the most negative count.
    seeds.push(vec![
        1, 97, 64, 1, 99, 64, 1, 82, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187,
        187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 187, 82, 82, 236, 82, 198, 0,
        0, 82, 82, 1, 97, 64, 1, 99, 64, 0, 82, 82, 1, 97, 64, 1, 99, 64, 1, 255, 255, 0, 253, 255,
        0, 82, 206,
    ]);
    // A directory entry naming its own directory, then removed.
    seeds.push(vec![
        105, 255, 255, 1, 97, 64, 1, 99, 0, 128, 97, 64, 1, 99, 64, 1, 0, 128, 91, 82, 1, 251, 11,
        11, 23, 87, 0, 1, 64, 255, 255, 255, 0, 91, 82, 82, 82, 82, 82, 82, 2, 2, 2, 2, 2, 2, 2, 2,
        2, 2, 2, 82, 50, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 233, 0, 0, 0, 0, 21, 96,
        255, 0, 81, 0, 82, 144, 55, 1, 176, 206,
    ]);
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    run(rumpfuzz::ffs_image, &seeds, 300);
}

#[test]
fn net_headers_smoke() {
    // Ethernet/IPv4/TCP SYN, UDP and ICMP skeletons with checksums fixed
    // (byte 0 = 1), and an ARP request.
    let eth = |typ: [u8; 2], payload: &[u8]| {
        let mut f = vec![1u8];
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        f.extend_from_slice(&typ);
        f.extend_from_slice(payload);
        f
    };
    let ip = |p: u8, l4: &[u8]| {
        let mut h = vec![
            0x45,
            0,
            0,
            (20 + l4.len()) as u8,
            0,
            0,
            0x40,
            0,
            64,
            p,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        h.extend_from_slice(l4);
        h
    };
    let mut tcp = vec![
        0xc3, 0x50, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0, 0, 0,
    ];
    tcp.extend_from_slice(&[2, 4, 5, 0xb4]);
    // A SYN as Linux sends it (MSS, SACK permitted, timestamps, window
    // scale), and an ACK with timestamps, three SACK blocks and data.
    let linux_syn = [
        0x88, 0xf4, 0x1f, 0x90, 0xac, 0x84, 0x17, 0x07, 0, 0, 0, 0, 0xa0, 0x02, 0xff, 0xd7, 0, 0,
        0, 0, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0xbb, 0x02, 0x44, 0x39, 0, 0, 0, 0,
        0x01, 0x03, 0x03, 0x0a,
    ];
    let mut sack = vec![
        0x1f, 0x90, 0x88, 0xf4, 0, 0, 0, 9, 0, 0, 0, 1, 0xf0, 0x10, 0x01, 0, 0, 0, 0, 0, 1, 1, 8,
        10, 0, 0, 0, 7, 0, 0, 0, 8, 1, 1, 5, 26,
    ];
    for edge in [100u32, 200, 300, 400, 500, 600] {
        sack.extend_from_slice(&edge.to_be_bytes());
    }
    sack.extend_from_slice(b"data");
    let seeds = [
        eth([8, 0], &ip(6, &tcp)),
        eth([8, 0], &ip(6, &linux_syn)),
        eth([8, 0], &ip(6, &sack)),
        eth(
            [8, 0],
            &ip(
                17,
                &[0, 53, 0x80, 0xe8, 0, 13, 0, 0, b'h', b'e', b'l', b'l', b'o'],
            ),
        ),
        eth(
            [8, 0],
            &ip(1, &[8, 0, 0, 0, 0x12, 0x34, 0, 1, b'p', b'i', b'n', b'g']),
        ),
        eth(
            [8, 6],
            &[
                0, 1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 10, 0, 0, 1, 0, 0, 0, 0,
                0, 0, 10, 0, 0, 2,
            ],
        ),
    ];
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    run(rumpfuzz::net_headers, &seeds, 3000);
    // Every seed with one byte changed, everywhere.
    for s in &seeds {
        for i in 0..s.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut m = s.to_vec();
                m[i] = v;
                rumpfuzz::net_headers(&m);
            }
        }
    }
}

/// A frame for `net_input`: length, interface 0, then Ethernet from
/// 02:00:00:00:00:09 to whatever byte 0's bit 1 puts there.
fn input_frame(typ: [u8; 2], payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 9]);
    f.extend_from_slice(&typ);
    f.extend_from_slice(payload);
    let mut v = (f.len() as u16).to_be_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(&f);
    v
}

/// An IPv4 packet from 10.0.0.2 (checksums are fixed by mode bit 0).
fn ip4(p: u8, dst: [u8; 4], ttl: u8, frag: u16, l4: &[u8]) -> Vec<u8> {
    let len = (20 + l4.len()) as u16;
    let mut h = vec![0x45, 0, (len >> 8) as u8, len as u8, 0, 7];
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[ttl, p, 0, 0, 10, 0, 0, 2]);
    h.extend_from_slice(&dst);
    h.extend_from_slice(l4);
    h
}

#[test]
fn net_input_smoke() {
    let us = [10, 0, 0, 1];
    let udp = |port: u8, data: &[u8]| {
        let mut u = vec![0x30, 0x39, 0, port, 0, (8 + data.len()) as u8, 0, 0];
        u.extend_from_slice(data);
        u
    };
    let arp = [
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 9, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1,
    ];
    let whole = udp(7, &[0x55; 24]);
    let mut seeds: Vec<Vec<u8>> = vec![
        input_frame([8, 6], &arp),
        input_frame(
            [8, 0],
            &ip4(1, us, 64, 0, &[8, 0, 0, 0, 0x12, 0x34, 0, 1, b'p']),
        ),
        input_frame([8, 0], &ip4(17, us, 64, 0, &udp(7, b"hello"))),
        input_frame([8, 0], &ip4(17, us, 64, 0, &udp(9, b"closed"))),
        input_frame([8, 0], &ip4(17, [10, 1, 0, 5], 64, 0, &udp(9, b"fwd"))),
        input_frame([8, 0], &ip4(17, [10, 1, 0, 5], 1, 0, &udp(9, b"ttl"))),
        input_frame([8, 0], &ip4(17, [10, 9, 9, 9], 64, 0, &udp(9, b"noroute"))),
    ];
    // TCP: a SYN for the listener (answered by SYN-ACK), one for a closed
    // port (answered by RST).
    let syn = |port: u8| {
        let mut t = vec![
            0x30, 0x39, 0, port, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff,
        ];
        t.extend_from_slice(&[0, 0, 0, 0, 2, 4, 5, 0xb4]);
        t
    };
    seeds.push(input_frame([8, 0], &ip4(6, us, 64, 0, &syn(80))));
    seeds.push(input_frame([8, 0], &ip4(6, us, 64, 0, &syn(81))));
    let mut frags = input_frame([8, 0], &ip4(17, us, 64, 0x2000, &whole[..16]));
    frags.extend(input_frame([8, 0], &ip4(17, us, 64, 2, &whole[16..])));
    seeds.push(frags);
    for s in seeds.iter_mut() {
        s.insert(0, 3); // fix checksums, address the frame to the interface
    }
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    // Each seed draws an answer: ARP and echo replies, port and host
    // unreachable, time exceeded, an ARP request on the far interface.
    for (i, s) in seeds.iter().enumerate() {
        let before = rumpfuzz::net_input_answers();
        rumpfuzz::net_input(s);
        let quiet = [2, 9]; // a datagram delivered; fragments delivered
        assert_eq!(
            rumpfuzz::net_input_answers() > before,
            !quiet.contains(&i),
            "seed {i}"
        );
    }
    run(rumpfuzz::net_input, &seeds, 2000);
    for s in &seeds {
        for i in 1..s.len() {
            for v in [0u8, 0xff] {
                let mut m = s.to_vec();
                m[i] = v;
                rumpfuzz::net_input(&m);
            }
        }
    }
}

#[test]
fn shmif_bus_smoke() {
    let mut fresh = vec![0u8; 32];
    fresh[..4].copy_from_slice(&0xca11_d054u32.to_ne_bytes());
    let mut wrapped = fresh.clone();
    wrapped[16..20].copy_from_slice(&100u32.to_ne_bytes());
    wrapped[20..24].copy_from_slice(&0xfffd0u32.to_ne_bytes());
    let seeds: Vec<&[u8]> = vec![&[], &fresh, &wrapped];
    run(rumpfuzz::shmif_bus, &seeds, 200);
    let mut rng_like = fresh.clone();
    for b in 0..=255u8 {
        rng_like.truncate(32);
        rng_like.extend(std::iter::repeat_n(b, 64));
        rumpfuzz::shmif_bus(&rng_like);
    }
}

#[test]
fn route_socket_smoke() {
    // RTM_GET of 127.0.0.1 and an arp delete; dumps, pcblists, proc2.
    let mut get = vec![0u8; 120 + 16];
    get[0] = 136;
    get[2] = 4;
    get[3] = 4;
    get[8] = 1;
    get[12] = 1;
    get[120] = 16;
    get[121] = 2;
    get[124..128].copy_from_slice(&[127, 0, 0, 1]);
    let mut msg = vec![0u8];
    msg.extend_from_slice(&get);
    let mut arp = msg.clone();
    arp[4] = 2;
    arp[9] = 0x04;
    let name = |mode: u8, ints: &[i32]| {
        let mut v = vec![mode];
        v.extend(ints.iter().flat_map(|i| i.to_le_bytes()));
        v
    };
    let seeds = [
        msg,
        arp,
        name(1, &[0, 1, 0]),
        name(1, &[2, 5, 0]),
        name(3, &[0, 0, 680, 10]),
        name(5, &[2, 0, 120, 10]),
        name(7, &[0, 0, 640, 10]),
        // Records larger than any buffer: nothing may be made for them.
        name(3, &[0, 0, 1 << 30, 99]),
        name(5, &[2, 0, i32::MAX, 2]),
    ];
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| &s[..]).collect();
    run(rumpfuzz::route_socket, &seeds, 1000);
}

/// Writes the sp_stream seeds into `$SP_STREAM_SEEDS` (a folder), for
/// `cargo fuzz run sp_stream fuzz/seeds/sp_stream`: `cargo test -p
/// rumpfuzz --test smoke write_sp_stream_seeds -- --ignored`.
#[test]
#[ignore]
fn write_sp_stream_seeds() {
    let dir =
        std::path::PathBuf::from(std::env::var_os("SP_STREAM_SEEDS").expect("SP_STREAM_SEEDS"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, seed) in rumpfuzz::sp_stream_seeds() {
        std::fs::write(dir.join(name), seed).unwrap();
    }
}

#[test]
fn nfs_reply_smoke() {
    // An accepted RPC reply, a GETATTR result and a READDIRPLUS page with
    // one entry, each behind every decoder's selector byte.
    let mut getattr = vec![0u8; 4];
    getattr.extend_from_slice(&1u32.to_be_bytes());
    getattr.resize(4 + 84, 0);
    let mut rdp = vec![0u8; 4 + 4 + 8];
    rdp.extend_from_slice(&1u32.to_be_bytes());
    rdp.extend_from_slice(&[0; 8]);
    rdp.extend_from_slice(&[0, 0, 0, 1, b'a', 0, 0, 0]);
    rdp.extend_from_slice(&[0; 8 + 4 + 4 + 4]);
    rdp.extend_from_slice(&1u32.to_be_bytes());
    let rpc_ok = [
        0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut seeds = Vec::new();
    for sel in 0..17u8 {
        for body in [&getattr[..], &rdp, &rpc_ok] {
            let mut s = vec![sel];
            s.extend_from_slice(body);
            seeds.push(s);
        }
    }
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    run(rumpfuzz::nfs_reply, &seeds, 3000);
    for s in &seeds {
        for i in 0..s.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut m = s.to_vec();
                m[i] = v;
                rumpfuzz::nfs_reply(&m);
                rumpfuzz::nfs_reply(&m[..i]);
            }
        }
    }
}

/// An IPv6 packet for `net6_input`: length, interface 0, the header from
/// fe80::9 (checksums are fixed by mode bit 0) and `rest`.
fn input6(nh: u8, dst: [u8; 16], hlim: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(rest.len() as u16).to_be_bytes());
    p.extend_from_slice(&[
        nh, hlim, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
    ]);
    p.extend_from_slice(&dst);
    p.extend_from_slice(rest);
    let mut v = (p.len() as u16).to_be_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(&p);
    v
}

#[test]
fn net6_input_smoke() {
    // fz0's link-local (fe80::ff:fe00:0 from 02:00:00:00:00:00) and its
    // solicited-node group.
    let ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 0];
    let snm = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0];
    let echo = [128u8, 0, 0, 0, 0x12, 0x34, 0, 1, b'p', b'i'];
    let mut ns = vec![135u8, 0, 0, 0, 0, 0, 0, 0];
    ns.extend_from_slice(&ll);
    ns.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 9]);
    // Hop-by-hop with PadN, then an echo request (not checksummed by the
    // mode: a bad checksum is dropped); an unknown option of type 10xxxxxx
    // (parameter problem); a first fragment (held for the rest); an
    // unknown next header (parameter problem).
    let mut hbh_unknown = vec![58u8, 0, 0x80, 4, 0, 0, 0, 0];
    hbh_unknown.extend_from_slice(&echo);
    let frag = [58u8, 0, 0, 1, 0, 0, 0, 7, 128, 0, 0, 0, 0x12, 0x34, 0, 1];
    // A SYN to the TCP listener on port 7 (answered by a SYN-ACK), a
    // SYN to port 9 (a reset), a UDP datagram to port 7 (taken) and one
    // to port 9 (port unreachable).
    let syn = |port: u8| {
        let mut t = vec![
            0x30u8, 0x39, 0, port, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
        ];
        t.extend_from_slice(&[0, 0, 0, 0]);
        t
    };
    let udp = |port: u8| vec![0x30u8, 0x39, 0, port, 0, 10, 0, 0, b'h', b'i'];
    let mut seeds: Vec<Vec<u8>> = vec![
        input6(58, ll, 64, &echo),
        input6(58, snm, 255, &ns),
        input6(0, ll, 64, &hbh_unknown),
        input6(44, ll, 64, &frag),
        input6(200, ll, 64, &[0; 8]),
        input6(6, ll, 64, &syn(7)),
        input6(6, ll, 64, &syn(9)),
        input6(17, ll, 64, &udp(7)),
        input6(17, ll, 64, &udp(9)),
    ];
    for s in seeds.iter_mut() {
        s.insert(0, 3);
    }
    let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
    // An echo reply, an advertisement, two parameter problems; the
    // fragment draws nothing; a SYN-ACK, a reset; the datagram taken
    // draws nothing, the other a port unreachable.
    for (i, s) in seeds.iter().enumerate() {
        let before = rumpfuzz::net6_input_answers();
        rumpfuzz::net6_input(s);
        let quiet = i == 3 || i == 7;
        assert_eq!(rumpfuzz::net6_input_answers() > before, !quiet, "seed {i}");
    }
    // An echo request in fragments of 8 bytes, last first (mode bits 2
    // and 3), reassembled and answered; fragments of 16 bytes in order.
    for (mode, selector) in [(0x0d, 0u8), (0x05, 2)] {
        let mut s = input6(58, ll, 64, &echo);
        s[2] = selector;
        s.insert(0, mode);
        let before = rumpfuzz::net6_input_answers();
        rumpfuzz::net6_input(&s);
        assert!(rumpfuzz::net6_input_answers() > before, "fragmented echo");
    }
    // Router discovery, MLD, redirects and path MTU (the rig accepts
    // advertisements): an advertisement with a prefix, an MTU and the
    // router's link-layer address; a general MLD query with no delay,
    // answered with reports at once; a redirect from a router that is
    // no first hop and a packet too big about a packet of ours, both
    // taken without a word.
    let all_nodes = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut ra = vec![
        134u8, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8,
    ];
    ra.extend_from_slice(&[
        3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0, 0, 0,
    ]);
    ra.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ra.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0xdc, 1, 1, 2, 0, 0, 0, 0, 9]);
    let mut query = vec![130u8, 0, 0, 0, 0, 0, 0, 0];
    query.extend_from_slice(&[0; 16]);
    let far = [0x20, 1, 0x0d, 0xb8, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    let mut redirect = vec![137u8, 0, 0, 0, 0, 0, 0, 0];
    redirect.extend_from_slice(&ll);
    redirect.extend_from_slice(&far);
    redirect.extend_from_slice(&[2, 1, 2, 0, 0, 0, 0, 9]);
    let mut ptb = vec![2u8, 0, 0, 0, 0, 0, 0x05, 0x00, 0x60, 0, 0, 0, 0, 8, 17, 64];
    ptb.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    ptb.extend_from_slice(&far);
    ptb.extend_from_slice(&[0x30, 0x39, 0, 9, 0, 8, 0, 0]);
    let mut more: Vec<Vec<u8>> = vec![
        input6(58, all_nodes, 255, &ra),
        input6(58, all_nodes, 1, &query),
        input6(58, ll, 255, &redirect),
        input6(58, ll, 64, &ptb),
    ];
    for s in more.iter_mut() {
        s.insert(0, 3);
    }
    let before = rumpfuzz::net6_input_answers();
    rumpfuzz::net6_input(&more[1]);
    assert!(rumpfuzz::net6_input_answers() > before, "MLD reports");
    let mut seeds = seeds;
    seeds.extend(more.iter().map(|s| s.as_slice()));
    run(rumpfuzz::net6_input, &seeds, 2000);
    for s in &seeds {
        for i in 1..s.len() {
            for v in [0u8, 0xff] {
                let mut m = s.to_vec();
                m[i] = v;
                rumpfuzz::net6_input(&m);
            }
        }
    }
}
