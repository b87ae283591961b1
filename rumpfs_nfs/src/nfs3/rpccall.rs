//! What makes an RPC call for the NFS client: a stream client (or a
//! mount's connection), owned or borrowed; calls one at a time, in
//! batches, or sent ahead with their replies taken later.

use super::NfsResult;
use crate::rpc::{Credentials, Procedure, RpcError, StreamClient};
use crate::xdr::Encoder;

/// The arguments of call `i` of a batch, encoded into its message.
pub type EncodeArgs<'a> = dyn FnMut(usize, &mut Encoder) + 'a;
/// Takes the results of call `i` of a batch, undecoded.
pub type TakeResults<'a> = dyn FnMut(usize, &[u8]) -> NfsResult<()> + 'a;
/// Takes the results of a call sent ahead, undecoded.
pub type AheadResults<'a> = dyn FnMut(&[u8]) -> NfsResult<()> + 'a;

/// What makes an RPC call: a stream client (or a mount's connection),
/// owned or borrowed.
pub trait RpcCall {
    /// Call `proc` of `prog` version `vers` as `cred` with `args`.
    fn rpc_call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError>;

    /// Call `to` `count` times, up to `window` calls on the wire at a
    /// time, with the arguments `args` encodes; `results` takes each
    /// call's results as they come (see [`StreamClient::call_each`]).
    fn rpc_call_each(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        count: usize,
        window: usize,
        args: &mut EncodeArgs<'_>,
        results: &mut TakeResults<'_>,
    ) -> NfsResult<()>;

    /// Send one call of `to`, its arguments encoded by `args`, and leave
    /// its reply on the wire for [`RpcCall::rpc_take_ahead`]; its xid, or
    /// `None` where the transport keeps no reply waiting (datagrams).
    fn rpc_send_ahead(
        &mut self,
        _to: Procedure,
        _cred: &Credentials,
        _args: &mut dyn FnMut(&mut Encoder),
    ) -> NfsResult<Option<u32>> {
        Ok(None)
    }

    /// The results of call `xid` sent ahead, to `results`; `Ok(false)`
    /// when its reply no longer waits (see [`StreamClient::take_ahead`]).
    fn rpc_take_ahead(&mut self, _xid: u32, _results: &mut AheadResults<'_>) -> NfsResult<bool> {
        Ok(false)
    }
}

impl<T: RpcCall + ?Sized> RpcCall for &mut T {
    fn rpc_call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        (**self).rpc_call(prog, vers, proc, cred, args)
    }

    fn rpc_call_each(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        count: usize,
        window: usize,
        args: &mut EncodeArgs<'_>,
        results: &mut TakeResults<'_>,
    ) -> NfsResult<()> {
        (**self).rpc_call_each(to, cred, count, window, args, results)
    }

    fn rpc_send_ahead(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        args: &mut dyn FnMut(&mut Encoder),
    ) -> NfsResult<Option<u32>> {
        (**self).rpc_send_ahead(to, cred, args)
    }

    fn rpc_take_ahead(&mut self, xid: u32, results: &mut AheadResults<'_>) -> NfsResult<bool> {
        (**self).rpc_take_ahead(xid, results)
    }
}

impl<S: std::io::Read + std::io::Write> RpcCall for StreamClient<S> {
    fn rpc_call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        self.call(prog, vers, proc, cred, args)
    }

    fn rpc_call_each(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        count: usize,
        window: usize,
        args: &mut EncodeArgs<'_>,
        results: &mut TakeResults<'_>,
    ) -> NfsResult<()> {
        self.call_each(to, cred, count, window, args, results)
    }

    fn rpc_send_ahead(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        args: &mut dyn FnMut(&mut Encoder),
    ) -> NfsResult<Option<u32>> {
        Ok(Some(self.send_ahead(to, cred, args)?))
    }

    fn rpc_take_ahead(&mut self, xid: u32, results: &mut AheadResults<'_>) -> NfsResult<bool> {
        self.take_ahead(xid, results)
    }
}
