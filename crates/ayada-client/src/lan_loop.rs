//! The LAN side of a machine, running in the background: it answers the clinic's other
//! machines ([`crate::lan::Listener`]), makes itself known on the local network by mDNS
//! (DNS-SD service `_ayada._tcp`, named by its node id, with the clinic's id beside it), finds
//! the others the same way, and runs a round with each one it finds: at once after a write
//! here ([`LanLoop::nudge`]), and every few seconds otherwise. Nothing of the clinic travels
//! in the announcement; who a machine is, is proved by its key on connection.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use crate::lan::{sync_with, Listener};
use crate::{ClientError as Failure, ClinicAccess, Round};

/// The DNS-SD service type machines announce.
const SERVICE: &str = "_ayada._tcp.local.";
/// How often each known machine is visited when nothing was written here.
const EVERY: Duration = Duration::from_secs(5);

/// What this machine knows of another machine of the clinic on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanMachine {
    /// Its node id, as it announces itself.
    pub node: String,
    /// Where it answers.
    pub addr: SocketAddr,
    /// Whether the last round with it went through.
    pub reachable: bool,
    /// Why the last round failed, in English (for the log).
    pub last_error: Option<String>,
}

/// The background LAN side; stops when dropped.
pub struct LanLoop {
    nudge: mpsc::Sender<()>,
    machines: Arc<Mutex<BTreeMap<String, LanMachine>>>,
    listener: Option<Listener>,
    daemon: Option<ServiceDaemon>,
    unsearchable: Option<Failure>,
    announced_as: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LanLoop {
    /// Starts answering on `bind` (port 0: any) and looking for the clinic's machines;
    /// `on_round` hears every round with another machine that brought something.
    pub fn spawn<A, F>(access: Arc<A>, bind: SocketAddr, on_round: F) -> Result<LanLoop, Failure>
    where
        A: ClinicAccess + Send + Sync + 'static,
        F: Fn(&str, &Round) + Send + 'static,
    {
        let listener = Listener::start(access.clone(), bind)?;
        let (me, clinic) = access.with(&mut |c| Ok((c.node().to_string(), c.id().to_string())))?;
        // A network that forbids multicast (or a host without it) leaves the machine
        // answering, found by nobody and finding nobody, rather than not answering at all:
        // a machine joining by address still reaches it.
        let announced = announce(&me, &clinic, listener.addr().port());
        let (daemon, announced_as, found, unsearchable) = match announced {
            Ok((daemon, name, found)) => (Some(daemon), name, Some(found), None),
            Err(e) => (None, String::new(), None, Some(e)),
        };
        let machines: Arc<Mutex<BTreeMap<String, LanMachine>>> = Arc::default();
        let (nudge, nudged) = mpsc::channel();
        let thread = {
            let machines = machines.clone();
            std::thread::spawn(move || {
                let mut next = Instant::now();
                loop {
                    // Whatever mDNS has heard since, then a round with everyone known.
                    while let Some(Ok(event)) = found.as_ref().map(|f| f.try_recv()) {
                        if let ServiceEvent::ServiceRemoved(_, fullname) = &event {
                            // It said goodbye (its app closed): no longer listed.
                            machines
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .remove(&node_of(fullname));
                        }
                        if let ServiceEvent::ServiceResolved(service) = event {
                            let node = node_of(service.get_fullname());
                            let same_clinic =
                                service.get_property_val_str("clinic") == Some(clinic.as_str());
                            let Some(ip) = service.get_addresses_v4().into_iter().next() else {
                                continue;
                            };
                            if node != me && same_clinic {
                                let addr = SocketAddr::new(IpAddr::V4(ip), service.get_port());
                                let mut known = machines.lock().unwrap_or_else(|p| p.into_inner());
                                let entry = known.entry(node.clone()).or_insert(LanMachine {
                                    node,
                                    addr,
                                    reachable: false,
                                    last_error: None,
                                });
                                entry.addr = addr;
                                next = Instant::now();
                            }
                        }
                    }
                    let wait = next.saturating_duration_since(Instant::now());
                    match nudged.recv_timeout(wait.min(Duration::from_millis(250))) {
                        Ok(()) => next = Instant::now(),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    if Instant::now() < next {
                        continue;
                    }
                    next = Instant::now() + EVERY;
                    let known: Vec<LanMachine> = machines
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .values()
                        .cloned()
                        .collect();
                    for m in known {
                        let done = sync_with(access.clone(), m.addr);
                        let mut all = machines.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(entry) = all.get_mut(&m.node) {
                            entry.reachable = done.is_ok();
                            entry.last_error = done
                                .as_ref()
                                .err()
                                .map(|e| e.sentence(ayada_core::Lang::En));
                        }
                        drop(all);
                        if let Ok(round) = done {
                            if round.changed_here() || round.pushed > 0 {
                                on_round(&m.node, &round);
                            }
                        }
                    }
                }
            })
        };
        Ok(LanLoop {
            nudge,
            machines,
            listener: Some(listener),
            daemon,
            unsearchable,
            announced_as,
            thread: Some(thread),
        })
    }

    /// Something was written here: visit every known machine now.
    pub fn nudge(&self) {
        let _ = self.nudge.send(());
    }

    /// The clinic's machines found on the LAN, and whether the last round with each went
    /// through (what the app's header shows).
    pub fn machines(&self) -> Vec<LanMachine> {
        self.machines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Why this machine can neither announce itself nor find the others by mDNS, if so (it
    /// still answers, for a machine that comes by address).
    pub fn unsearchable(&self) -> Option<&Failure> {
        self.unsearchable.as_ref()
    }

    /// How many machines this one is answering now.
    pub fn answering(&self) -> usize {
        self.listener.as_ref().map_or(0, Listener::answering)
    }

    /// Where this machine answers.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(Listener::addr)
    }
}

impl Drop for LanLoop {
    fn drop(&mut self) {
        // A goodbye, so the others stop listing this machine at once, then the daemon stops.
        if let Some(daemon) = &self.daemon {
            if let Ok(said) = daemon.unregister(&self.announced_as) {
                let _ = said.recv_timeout(Duration::from_secs(1));
            }
            let _ = daemon.shutdown();
        }
        // Closing the nudge channel ends the loop at its next turn.
        let (closed, _) = mpsc::channel();
        self.nudge = closed;
        self.listener.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Announces this machine (`me`, of clinic `clinic`, answering on `port`) and starts
/// looking for the others: the daemon, the full name announced, and what it hears.
fn announce(
    me: &str,
    clinic: &str,
    port: u16,
) -> Result<(ServiceDaemon, String, mdns_sd::Receiver<ServiceEvent>), Failure> {
    let daemon = ServiceDaemon::new().map_err(mdns_failed)?;
    let mut properties = std::collections::HashMap::new();
    properties.insert("clinic".to_string(), clinic.to_string());
    let announced = ServiceInfo::new(SERVICE, me, &format!("{me}.local."), (), port, properties)
        .map_err(mdns_failed)?
        .enable_addr_auto();
    let name = announced.get_fullname().to_string();
    daemon.register(announced).map_err(mdns_failed)?;
    let found = daemon.browse(SERVICE).map_err(mdns_failed)?;
    Ok((daemon, name, found))
}

/// Listens for the machines announcing themselves on the LAN (of any clinic) until
/// `deadline`, offering each address found to `each` until it takes one.
pub(crate) fn browse<T>(
    deadline: Instant,
    each: &mut dyn FnMut(SocketAddr) -> Option<T>,
) -> Result<Option<T>, Failure> {
    let daemon = ServiceDaemon::new().map_err(mdns_failed)?;
    let found = daemon.browse(SERVICE).map_err(mdns_failed)?;
    let mut taken = None;
    while taken.is_none() {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            break;
        }
        let Ok(event) = found.recv_timeout(wait) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(service) = event {
            for ip in service.get_addresses_v4() {
                taken = each(SocketAddr::new(IpAddr::V4(ip), service.get_port()));
                if taken.is_some() {
                    break;
                }
            }
        }
    }
    let _ = daemon.shutdown();
    Ok(taken)
}

/// The node id an announcement names (its instance name).
fn node_of(fullname: &str) -> String {
    fullname
        .trim_end_matches(SERVICE)
        .trim_end_matches('.')
        .to_string()
}

fn mdns_failed(e: mdns_sd::Error) -> Failure {
    Failure::said(ayada_core::Said::new("client-lan-failed").with("detail", format!("mDNS: {e}")))
}
