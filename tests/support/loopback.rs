//! Real servers on loopback for the domain-check tests: a DNS server
//! (UDP, hickory-proto for the wire format) serving a small zone, and SMTP
//! listeners that greet with 220, greet with 554, or never answer, all on
//! one port at different 127.0.0.x addresses (the probe's port is one for
//! all hosts). Nothing here talks to an address outside 127.0.0.0/8.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, MX};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// What the zone says about one name.
#[derive(Clone, Debug)]
pub enum Entry {
    /// MX records (preference, exchange; `.` is the null MX).
    Mx(Vec<(u16, &'static str)>),
    /// One A record.
    A(Ipv4Addr),
    /// The name exists but has no records asked for (NODATA for every type).
    Empty,
    /// Every query for the name gets SERVFAIL.
    ServFail,
    /// Every query for the name is answered (NODATA) only after this long.
    Slow(Duration),
}

/// A DNS server on 127.0.0.1 serving `zone`; names not in it are NXDOMAIN.
pub struct DnsServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl DnsServer {
    pub fn start(zone: Vec<(&'static str, Entry)>) -> DnsServer {
        let mut map: HashMap<String, Vec<Entry>> = HashMap::new();
        for (name, e) in zone {
            map.entry(name.trim_end_matches('.').to_ascii_lowercase()).or_default().push(e);
        }
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind DNS socket");
        sock.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let sock = Arc::new(sock);
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::Relaxed) {
                let Ok((n, peer)) = sock.recv_from(&mut buf) else { continue };
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                let (reply, delay) = answer(&map, &query);
                let bytes = reply.to_vec().expect("encode DNS reply");
                match delay {
                    None => {
                        let _ = sock.send_to(&bytes, peer);
                    }
                    Some(d) => {
                        let sock = sock.clone();
                        thread::spawn(move || {
                            thread::sleep(d);
                            let _ = sock.send_to(&bytes, peer);
                        });
                    }
                }
            }
        });
        DnsServer { addr, stop, handle: Some(handle) }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn answer(zone: &HashMap<String, Vec<Entry>>, query: &Message) -> (Message, Option<Duration>) {
    let mut reply = Message::new();
    reply.set_id(query.id()).set_message_type(MessageType::Response).set_op_code(query.op_code());
    reply.set_recursion_desired(query.recursion_desired()).set_recursion_available(true).set_authoritative(true);
    let Some(q) = query.queries().first() else {
        reply.set_response_code(ResponseCode::FormErr);
        return (reply, None);
    };
    reply.add_query(q.clone());
    let name = q.name().to_ascii().trim_end_matches('.').to_ascii_lowercase();
    let Some(entries) = zone.get(&name) else {
        reply.set_response_code(ResponseCode::NXDomain);
        return (reply, None);
    };
    let mut delay = None;
    for e in entries {
        match e {
            Entry::ServFail => {
                reply.set_response_code(ResponseCode::ServFail);
                return (reply, None);
            }
            Entry::Slow(d) => delay = Some(*d),
            Entry::Mx(list) if q.query_type() == RecordType::MX => {
                for (pref, exchange) in list {
                    let rdata = RData::MX(MX::new(*pref, Name::from_ascii(exchange).unwrap()));
                    reply.add_answer(Record::from_rdata(q.name().clone(), 60, rdata));
                }
            }
            Entry::A(ip) if q.query_type() == RecordType::A => {
                reply.add_answer(Record::from_rdata(q.name().clone(), 60, RData::A(A(*ip))));
            }
            _ => {}
        }
    }
    reply.set_response_code(ResponseCode::NoError);
    (reply, delay)
}

/// How an SMTP listener behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Smtp {
    /// `220` greeting, EHLO answered with STARTTLS among the extensions.
    Greets,
    /// `554` greeting; waits for QUIT.
    Rejects,
    /// Accepts connections and never writes a byte.
    Silent,
}

/// SMTP listeners on `127.0.0.x:port`, one port for all; records every
/// command line received.
pub struct SmtpServers {
    pub port: u16,
    pub commands: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl SmtpServers {
    /// Listeners at 127.0.0.`last_octet` with the given behaviours. Any
    /// other 127.0.0.x on the port refuses connections.
    pub fn start(hosts: &[(u8, Smtp)]) -> SmtpServers {
        // Find a port free on every address: take one from the first, try the rest.
        for _ in 0..50 {
            let mut listeners = Vec::new();
            let first = TcpListener::bind((Ipv4Addr::new(127, 0, 0, hosts[0].0), 0)).expect("bind SMTP");
            let port = first.local_addr().unwrap().port();
            listeners.push((first, hosts[0].1));
            let mut ok = true;
            for (octet, kind) in &hosts[1..] {
                match TcpListener::bind((Ipv4Addr::new(127, 0, 0, *octet), port)) {
                    Ok(l) => listeners.push((l, *kind)),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            let commands = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            for (l, kind) in listeners {
                let (commands, stop) = (commands.clone(), stop.clone());
                l.set_nonblocking(true).unwrap();
                thread::spawn(move || serve(l, kind, commands, stop));
            }
            return SmtpServers { port, commands, stop };
        }
        panic!("no free loopback port for the SMTP listeners");
    }

    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }
}

impl Drop for SmtpServers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(l: TcpListener, kind: Smtp, commands: Arc<Mutex<Vec<String>>>, stop: Arc<AtomicBool>) {
    let mut held = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                if kind == Smtp::Silent {
                    held.push(s); // kept open, never answered
                    continue;
                }
                let commands = commands.clone();
                thread::spawn(move || session(s, kind, commands));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn session(s: TcpStream, kind: Smtp, commands: Arc<Mutex<Vec<String>>>) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let greeting: &[u8] = match kind {
        Smtp::Greets => b"220-mx.loopback.test ESMTP\r\n220 ready\r\n",
        _ => b"554 5.7.1 no mail accepted here\r\n",
    };
    if w.write_all(greeting).is_err() {
        return;
    }
    let mut r = BufReader::new(s);
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 {
        let cmd = line.trim_end().to_string();
        line.clear();
        commands.lock().unwrap().push(cmd.clone());
        let verb = cmd.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match (kind, verb.as_str()) {
            (_, "QUIT") => b"221 2.0.0 bye\r\n",
            (Smtp::Greets, "EHLO") => b"250-mx.loopback.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            (Smtp::Rejects, _) => b"503 5.5.1 only QUIT\r\n",
            _ => b"502 5.5.2 not here\r\n",
        };
        if w.write_all(reply).is_err() || verb == "QUIT" {
            return;
        }
    }
}

/// 127.0.0.`octet`.
pub fn lo(octet: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, octet))
}
