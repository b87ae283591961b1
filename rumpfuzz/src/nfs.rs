//! The NFS client's decoders of server replies: record marking, the RPC
//! reply header, the portmapper's and MOUNT's results, and every NFSv3
//! result (attributes, directory entries). Byte 0 picks the decoder; the
//! rest is the reply. Whatever the bytes, each must answer Ok or Err.

use rumpfs_nfs::{mount, nfs3, portmap, rpc};

/// Decode `data[1..]` with the decoder `data[0]` picks.
pub fn nfs_reply(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let d = nfs3::decode::readdirplus;
    match which % 17 {
        0 => {
            let _ = rpc::read_record(&mut &body[..], rpc::MAX_REPLY);
        }
        1 => {
            let xid = rpc::reply_xid(body).unwrap_or(0);
            let _ = rpc::decode_reply(body, xid);
        }
        2 => drop(portmap::getport_result(body)),
        3 => drop(mount::mnt_result(body)),
        4 => drop(nfs3::decode::getattr(body)),
        5 => drop(nfs3::decode::wcc_only(body)),
        6 => drop(nfs3::decode::lookup(body)),
        7 => drop(nfs3::decode::read(body, nfs3::MAXDATA)),
        8 => drop(nfs3::decode::write(body)),
        9 => drop(nfs3::decode::commit(body)),
        10 => drop(nfs3::decode::create(body)),
        11 => drop(nfs3::decode::rename(body)),
        12 => drop(nfs3::decode::link(body)),
        13 => drop(nfs3::decode::readlink(body)),
        14 => drop(nfs3::decode::access(body)),
        15 => drop(d(body)),
        _ => drop(nfs3::decode::fsinfo(body)),
    }
}
