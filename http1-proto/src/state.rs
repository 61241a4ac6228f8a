//! The per-side state machines, after h11's `_state.py`.
//!
//! Rule 1 (h11): everything that changes a state lives in this file.
//! Rule 2 (h11): this file does not know which role we play; our side and the peer's side
//! follow the same rules, so a client and a server `Connection` agree by construction.

use http_core::Role;

/// Where one side of the connection is in the request/response cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum State {
    /// Nothing sent in this cycle yet.
    Idle,
    /// Server only: the request head arrived; the response head has not been sent.
    SendResponse,
    /// The head is sent; body data and the end of the message may follow.
    SendBody,
    /// The message is complete; the next cycle can start if both sides are done.
    Done,
    /// The message is complete and the connection will not be reused.
    MustClose,
    /// This side closed the connection.
    Closed,
    /// Client only: the request proposed Upgrade or CONNECT and is complete; waiting to
    /// hear whether the server accepts.
    MightSwitchProtocol,
    /// The connection now speaks another protocol; take the bytes with
    /// [`Connection::into_parts`](crate::Connection::into_parts).
    SwitchedProtocol,
    /// A protocol error; the connection cannot be used further.
    Error,
}

/// What a side did, as seen by the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    Request,
    Informational,
    Response,
    Data,
    EndOfMessage,
    ConnectionClosed,
}

/// A protocol switch a request proposed (RFC 9110 §7.8 Upgrade, §9.3.6 CONNECT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Switch {
    Upgrade,
    Connect,
}

/// Both sides' states plus keep-alive and pending switch proposals.
#[derive(Clone, Debug)]
pub(crate) struct Machine {
    client: State,
    server: State,
    keep_alive: bool,
    proposed_upgrade: bool,
    proposed_connect: bool,
}

/// The transition is not allowed from the side's current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidTransition(pub(crate) State);

impl Machine {
    pub(crate) fn new() -> Self {
        Self {
            client: State::Idle,
            server: State::Idle,
            keep_alive: true,
            proposed_upgrade: false,
            proposed_connect: false,
        }
    }

    pub(crate) fn state(&self, role: Role) -> State {
        match role {
            Role::Client => self.client,
            Role::Server => self.server,
        }
    }

    fn state_mut(&mut self, role: Role) -> &mut State {
        match role {
            Role::Client => &mut self.client,
            Role::Server => &mut self.server,
        }
    }

    pub(crate) fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    pub(crate) fn pending_switch(&self, switch: Switch) -> bool {
        match switch {
            Switch::Upgrade => self.proposed_upgrade,
            Switch::Connect => self.proposed_connect,
        }
    }

    pub(crate) fn disable_keep_alive(&mut self) {
        self.keep_alive = false;
        self.settle();
    }

    pub(crate) fn propose_switch(&mut self, switch: Switch) {
        match switch {
            Switch::Upgrade => self.proposed_upgrade = true,
            Switch::Connect => self.proposed_connect = true,
        }
    }

    pub(crate) fn process_error(&mut self, role: Role) {
        *self.state_mut(role) = State::Error;
        self.settle();
    }

    /// Applies `transition` by `role`. `accepted_switch` is the proposal a server's
    /// 101 (Upgrade) or 2xx-to-CONNECT accepts.
    pub(crate) fn process(
        &mut self,
        role: Role,
        transition: Transition,
        accepted_switch: Option<Switch>,
    ) -> Result<(), InvalidTransition> {
        use State::*;
        use Transition as T;
        let current = self.state(role);
        let next = match (role, current, transition) {
            (_, Idle | Done | MustClose | Closed, T::ConnectionClosed) => Closed,
            (Role::Client, Idle, T::Request) => SendBody,
            (Role::Server, Idle, T::Response) => SendBody,
            (Role::Server, SendResponse, T::Informational) => match accepted_switch {
                Some(Switch::Upgrade) => SwitchedProtocol,
                _ => SendResponse,
            },
            (Role::Server, SendResponse, T::Response) => match accepted_switch {
                Some(Switch::Connect) => SwitchedProtocol,
                _ => SendBody,
            },
            (_, SendBody, T::Data) => SendBody,
            (_, SendBody, T::EndOfMessage) => Done,
            _ => return Err(InvalidTransition(current)),
        };
        *self.state_mut(role) = next;
        // A request moves the server on; a final response without a switch denies any
        // proposal (h11 `_SWITCH_*` handling).
        match (role, transition) {
            (Role::Client, T::Request) if self.server == Idle => self.server = SendResponse,
            (Role::Server, T::Response) if accepted_switch.is_none() => {
                self.proposed_upgrade = false;
                self.proposed_connect = false;
            }
            _ => {}
        }
        self.settle();
        Ok(())
    }

    /// h11's state-triggered transitions, applied until nothing changes.
    fn settle(&mut self) {
        use State::*;
        loop {
            let before = (self.client, self.server);
            let proposed = self.proposed_upgrade || self.proposed_connect;
            if proposed && self.client == Done {
                self.client = MightSwitchProtocol;
            }
            if !proposed && self.client == MightSwitchProtocol {
                self.client = Done;
            }
            if !self.keep_alive {
                if self.client == Done {
                    self.client = MustClose;
                }
                if self.server == Done {
                    self.server = MustClose;
                }
            }
            match (self.client, self.server) {
                (MightSwitchProtocol, SwitchedProtocol) => self.client = SwitchedProtocol,
                (Closed, Done | Idle) | (Error, Done) => self.server = MustClose,
                (Done | Idle, Closed) | (Done, Error) => self.client = MustClose,
                _ => {}
            }
            if before == (self.client, self.server) {
                return;
            }
        }
    }

    /// Both sides `Done` → both `Idle` (keep-alive). Returns the states if not allowed.
    pub(crate) fn start_next_cycle(&mut self) -> Result<(), InvalidTransition> {
        if (self.client, self.server) != (State::Done, State::Done) {
            return Err(InvalidTransition(self.client));
        }
        self.client = State::Idle;
        self.server = State::Idle;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_cycle() {
        let mut m = Machine::new();
        m.process(Role::Client, Transition::Request, None).unwrap();
        assert_eq!(m.state(Role::Server), State::SendResponse);
        m.process(Role::Client, Transition::EndOfMessage, None)
            .unwrap();
        m.process(Role::Server, Transition::Response, None).unwrap();
        m.process(Role::Server, Transition::Data, None).unwrap();
        m.process(Role::Server, Transition::EndOfMessage, None)
            .unwrap();
        assert_eq!(
            (m.state(Role::Client), m.state(Role::Server)),
            (State::Done, State::Done)
        );
        m.start_next_cycle().unwrap();
        assert_eq!(m.state(Role::Client), State::Idle);
    }

    #[test]
    fn close_and_switch() {
        let mut m = Machine::new();
        m.process(Role::Client, Transition::Request, None).unwrap();
        m.disable_keep_alive();
        m.process(Role::Client, Transition::EndOfMessage, None)
            .unwrap();
        assert_eq!(m.state(Role::Client), State::MustClose);
        assert!(m.start_next_cycle().is_err());

        let mut m = Machine::new();
        m.process(Role::Client, Transition::Request, None).unwrap();
        m.propose_switch(Switch::Upgrade);
        m.process(Role::Client, Transition::EndOfMessage, None)
            .unwrap();
        assert_eq!(m.state(Role::Client), State::MightSwitchProtocol);
        m.process(
            Role::Server,
            Transition::Informational,
            Some(Switch::Upgrade),
        )
        .unwrap();
        assert_eq!(m.state(Role::Client), State::SwitchedProtocol);
        assert_eq!(m.state(Role::Server), State::SwitchedProtocol);
    }

    #[test]
    fn denied_switch_returns_to_done() {
        let mut m = Machine::new();
        m.process(Role::Client, Transition::Request, None).unwrap();
        m.propose_switch(Switch::Connect);
        m.process(Role::Client, Transition::EndOfMessage, None)
            .unwrap();
        assert_eq!(m.state(Role::Client), State::MightSwitchProtocol);
        m.process(Role::Server, Transition::Response, None).unwrap();
        assert_eq!(m.state(Role::Client), State::Done);
        assert!(m.process(Role::Server, Transition::Request, None).is_err());
    }
}
