//! Proving the server's key: a server that asks for one puts a challenge
//! in its banner (`sysproxy::auth`), and the client answers it with the
//! key in the file `RUMP_SERVER_KEY` names, before its handshake. Against
//! a server that asks for none (NetBSD's, or ours without `-k`) nothing is
//! sent, and the client speaks NetBSD's protocol unchanged.

use crate::ConnectError;
use crate::stream::Stream;
use sysproxy::auth;
use sysproxy::{Class, HEADER_LEN, Header, SpError, Type};

/// The variable naming the key file.
pub const KEY_VARIABLE: &str = "RUMP_SERVER_KEY";

/// Longest reason a server gives for a refusal that is read.
const MAX_REASON: usize = 4096;

/// Answer the key challenge in `banner`, if it has one, on `stream`.
pub(crate) fn prove(stream: &Stream, banner: &[u8]) -> Result<(), ConnectError> {
    let Some(nonce) = auth::challenge(banner) else {
        return Ok(());
    };
    let Some(file) = std::env::var_os(KEY_VARIABLE) else {
        return Err(ConnectError::Key(format!(
            "the server asks for a key: set {KEY_VARIABLE} to the name of its key file"
        )));
    };
    let file = file.to_string_lossy();
    let key = rumpuser::read_key_file(&file).map_err(ConnectError::Key)?;
    let proof = auth::proof(&key, &nonce);
    let h = Header::new(0, Class::Req, Type::Auth, 0, proof.len());
    stream.write_all(&sysproxy::frame(&h, &proof))?;
    let mut hb = [0u8; HEADER_LEN];
    stream.read_exact(&mut hb).map_err(|e| {
        ConnectError::Key(format!(
            "the server closed the connection while the key was checked: {}",
            rumpuser::strerror(&e)
        ))
    })?;
    let reply = Header::parse(&hb).map_err(|_| {
        ConnectError::Key("the server answered the key's proof with a bad frame".into())
    })?;
    match reply.class {
        Class::Resp if reply.typ == Type::Auth => Ok(()),
        Class::Error => {
            let mut why = vec![0u8; reply.payload_len().min(MAX_REASON)];
            let said = stream.read_exact(&mut why).is_ok() && !why.is_empty();
            Err(ConnectError::Key(if said {
                format!(
                    "the server refused the key: {}",
                    String::from_utf8_lossy(&why)
                )
            } else {
                format!(
                    "the server refused the key ({})",
                    netbsd_abi::Errno(SpError::from_code(reply.union).errno())
                )
            }))
        }
        _ => Err(ConnectError::Key(
            "the server answered the key's proof with an unexpected frame".into(),
        )),
    }
}
