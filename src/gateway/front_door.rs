//! The front door on the phone network: the menu, spoken or printed over
//! the caller's RTP port, before any agent is dialled.
//!
//! Owns the caller's media until the menu is over: speech for a voice
//! caller (the shared speech worker), Baudot for a TTY (the same
//! [`AudioTty`] leg the relay then takes over), telling one from the
//! other while the menu is spoken, and keypad keys from RFC 4733 and
//! in-band tones merged into one press each. What the menu decides is
//! [`crate::frontdoor::menu`]'s; where the call then goes is the
//! gateway's. Nothing the caller keys, types or says is logged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::signalling;
use super::spoken_answer::SpokenAnswers;
use crate::config::{Config, QueueConfig};
use crate::engines::{Speech, SpeechService};
use crate::frontdoor::case_number::CaseNumber;
use crate::frontdoor::keys::{KeyMerge, KeySource};
use crate::frontdoor::menu::{CallerKind, Destination, Menu, MenuEvent, MenuTree, Outcome};
use crate::frontdoor::routing::{Decision, FrontDesk};
use crate::legs::audio_tty::{AudioTty, Detector, Verdict};
use crate::legs::customer::{CustomerEvent, CustomerLeg};
use crate::media::dtmf::DtmfDetector;
use crate::media::frame::{FRAME, FRAME_MS, Frame, SILENCE};
use crate::media::port::MediaPort;
use crate::media::rtp_port::RtpPort;
use crate::sip::stack::{CallEvent, ServerCall};
use crate::stt::decoder_thread::DecoderPool;
use crate::tts::VoiceProfile;
use jiff::Timestamp;

/// The caller's media as the front door leaves it.
pub(super) enum CallerMedia {
    /// Not yet recognised: listening for TTY tones.
    Listening(RtpPort, Box<Detector>),
    /// A voice caller.
    Voice(RtpPort),
    /// A TTY caller, on the leg the relay goes on with.
    Tty(Box<AudioTty<RtpPort>>),
}

/// How a stretch at the front door ended.
pub(super) enum DoorEnd {
    /// Done; for a menu, with its outcome.
    Done(Option<Outcome>),
    /// The caller hung up or their media stopped.
    Gone,
    /// The server is stopping.
    Stopped,
}

/// The caller's dialog, for hang-ups and re-INVITEs meanwhile.
pub(super) struct Dialog<'a> {
    pub call: &'a mut ServerCall,
    pub version: &'a mut u64,
    pub local: SocketAddr,
    pub stop: &'a CancellationToken,
}

/// Voices for what the caller hears.
#[derive(Clone)]
pub(super) struct DoorVoices {
    pub speech: SpeechService,
    pub normal: VoiceProfile,
    pub slow: VoiceProfile,
}

/// One caller at the front door.
pub(super) struct FrontDoor {
    media: Option<CallerMedia>,
    voices: DoorVoices,
    dtmf: DtmfDetector,
    keys: KeyMerge,
    /// What a voice caller says, while a menu waits for an answer; gone
    /// once the caller shows a TTY.
    ears: Option<SpokenAnswers>,
    speech_tx: mpsc::UnboundedSender<Speech>,
    speech_rx: mpsc::UnboundedReceiver<Speech>,
    /// The utterance being played, its samples not yet sent, and whether
    /// all of it has arrived.
    playing: Option<u64>,
    queued: Vec<i16>,
    complete: bool,
    next_id: u64,
    /// A TTY prompt is printing.
    printing: bool,
    /// Ticks since the front door started.
    ticks: u64,
}

/// What a prompt waits on.
enum Prompt {
    None,
    Speaking,
    Printing,
}

impl FrontDoor {
    /// The front door for a caller on `media`; `ears` hears spoken
    /// answers, for a caller who may speak (none on a TTY line).
    pub(super) fn new(
        media: CallerMedia,
        voices: DoorVoices,
        ears: Option<SpokenAnswers>,
    ) -> FrontDoor {
        let (speech_tx, speech_rx) = mpsc::unbounded_channel();
        FrontDoor {
            media: Some(media),
            voices,
            dtmf: DtmfDetector::new(),
            keys: KeyMerge::default(),
            ears,
            speech_tx,
            speech_rx,
            playing: None,
            queued: Vec::new(),
            complete: true,
            next_id: 1,
            printing: false,
            ticks: 0,
        }
    }

    /// The caller's media, for the relay or the bridge.
    pub(super) fn into_media(self) -> Option<CallerMedia> {
        self.media
    }

    /// Whether the caller is (now known to be) a TTY.
    pub(super) fn is_tty(&self) -> bool {
        matches!(self.media, Some(CallerMedia::Tty(_)))
    }

    fn now(&self) -> Duration {
        Duration::from_millis(self.ticks * FRAME_MS)
    }

    /// Speaks `say` to a voice caller or prints `tty` on a TTY, to the
    /// end.
    pub(super) async fn tell(
        &mut self,
        say: &str,
        tty: &str,
        slow: bool,
        dialog: &mut Dialog<'_>,
    ) -> DoorEnd {
        let event = if self.is_tty() {
            MenuEvent::Print(tty.to_owned())
        } else {
            MenuEvent::Say {
                text: say.to_owned(),
                slow,
            }
        };
        self.start_prompt(&event);
        self.run(None, dialog).await
    }

    /// Runs `menu` until it is done.
    pub(super) async fn run_menu(&mut self, menu: Menu, dialog: &mut Dialog<'_>) -> DoorEnd {
        self.run(Some(menu), dialog).await
    }

    /// Ticks the media every 20 ms: plays or prints what is asked, reads
    /// keys and text into `menu`. Without a menu, ends when the prompt
    /// under way has been given.
    async fn run(&mut self, mut menu: Option<Menu>, dialog: &mut Dialog<'_>) -> DoorEnd {
        if let Some(m) = &mut menu
            && self.is_tty()
        {
            m.handle_tty_detected();
        }
        let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        loop {
            if let Some(m) = &mut menu {
                while let Some(ev) = m.poll_event() {
                    match ev {
                        MenuEvent::Done(outcome) => return DoorEnd::Done(Some(outcome)),
                        MenuEvent::SlowMode => info!("slow mode on"),
                        other => self.start_prompt(&other),
                    }
                }
            } else if matches!(self.prompt(), Prompt::None) {
                return DoorEnd::Done(None);
            }
            tokio::select! {
                _ = tick.tick() => {
                    if !self.tick(menu.as_mut()) {
                        info!("caller's media stopped at the front door");
                        let _ = dialog.call.hangup().await;
                        return DoorEnd::Gone;
                    }
                }
                Some(s) = self.speech_rx.recv() => {
                    if Some(s.id) == self.playing {
                        self.queued.extend_from_slice(&s.samples);
                        self.complete = s.last;
                    }
                }
                ev = dialog.call.next_event() => match ev {
                    CallEvent::Ended(_) => return DoorEnd::Gone,
                    CallEvent::Reoffer(r) => {
                        if let Some(port) = self.port_mut() {
                            signalling::answer_reoffer(r, port, dialog.version, dialog.local).await;
                        }
                    }
                    _ => {}
                },
                _ = dialog.stop.cancelled() => return DoorEnd::Stopped,
            }
        }
    }

    fn port_mut(&mut self) -> Option<&mut RtpPort> {
        match self.media.as_mut()? {
            CallerMedia::Listening(p, _) | CallerMedia::Voice(p) => Some(p),
            CallerMedia::Tty(leg) => Some(leg.port_mut()),
        }
    }

    fn prompt(&self) -> Prompt {
        if self.printing {
            Prompt::Printing
        } else if self.playing.is_some() {
            Prompt::Speaking
        } else {
            Prompt::None
        }
    }

    /// Starts a prompt; one that replaces another cuts it short (a
    /// caller who pressed a key while it played).
    fn start_prompt(&mut self, event: &MenuEvent) {
        match event {
            MenuEvent::Print(text) => {
                if let Some(CallerMedia::Tty(leg)) = &mut self.media {
                    leg.send_text(text);
                    self.printing = true;
                }
            }
            MenuEvent::Say { text, slow } => {
                let id = self.next_id;
                self.next_id += 1;
                let voice = if *slow {
                    &self.voices.slow
                } else {
                    &self.voices.normal
                };
                self.queued.clear();
                if self
                    .voices
                    .speech
                    .say(id, text.clone(), voice, &self.speech_tx)
                {
                    self.playing = Some(id);
                    self.complete = false;
                } else {
                    self.playing = None;
                }
            }
            MenuEvent::SlowMode | MenuEvent::Done(_) => {}
        }
    }

    /// One 20 ms tick; `false` once the caller's media has stopped.
    fn tick(&mut self, mut menu: Option<&mut Menu>) -> bool {
        self.ticks += 1;
        let now = self.now();
        let Some(media) = self.media.take() else {
            return false;
        };
        let (media, alive) = match media {
            CallerMedia::Tty(mut leg) => {
                let mut events = Vec::new();
                leg.tick(&mut events);
                let mut alive = true;
                for ev in events {
                    match ev {
                        CustomerEvent::Gone => alive = false,
                        // What the TTY typed while its prompt printed
                        // (the half-duplex line drops it anyway) or to
                        // be recognised is not an answer.
                        CustomerEvent::Text(t) if !self.printing => {
                            if let Some(m) = menu.as_deref_mut() {
                                m.handle_typed(&t, now);
                            }
                        }
                        CustomerEvent::Key(k) => self.key(k, KeySource::Event, menu.as_deref_mut()),
                        _ => {}
                    }
                }
                if self.printing && !leg.is_sending() {
                    self.printing = false;
                    if let Some(m) = menu.as_deref_mut() {
                        m.handle_prompt_done(now);
                    }
                }
                (CallerMedia::Tty(leg), alive)
            }
            CallerMedia::Listening(mut port, mut detector) => {
                let frame = self.play_frame();
                match port.exchange(&frame) {
                    None => (CallerMedia::Listening(port, detector), false),
                    Some(heard) => {
                        self.heard(&heard, port.take_keys(), menu.as_deref_mut());
                        match detector.push(&heard) {
                            Verdict::Tty => {
                                info!("TTY recognised at the front door");
                                self.stop_speaking();
                                // Baudot tones are not words.
                                self.ears = None;
                                let leg = AudioTty::from_detector(port, *detector);
                                if let Some(m) = menu.as_deref_mut() {
                                    m.handle_tty_detected();
                                }
                                (CallerMedia::Tty(Box::new(leg)), true)
                            }
                            Verdict::Voice => (CallerMedia::Voice(port), true),
                            Verdict::Listening => (CallerMedia::Listening(port, detector), true),
                        }
                    }
                }
            }
            CallerMedia::Voice(mut port) => {
                let frame = self.play_frame();
                match port.exchange(&frame) {
                    None => (CallerMedia::Voice(port), false),
                    Some(heard) => {
                        self.heard(&heard, port.take_keys(), menu.as_deref_mut());
                        (CallerMedia::Voice(port), true)
                    }
                }
            }
        };
        self.media = Some(media);
        if self.playing.is_some() && self.complete && self.queued.is_empty() {
            self.playing = None;
            if let Some(m) = menu.as_deref_mut() {
                m.handle_prompt_done(now);
            }
        }
        if let Some(m) = menu
            && m.poll_timeout().is_some_and(|t| t <= now)
        {
            m.handle_timeout(now);
        }
        alive
    }

    fn stop_speaking(&mut self) {
        self.playing = None;
        self.queued.clear();
        self.complete = true;
    }

    /// The next frame of the prompt being spoken, or silence.
    fn play_frame(&mut self) -> Frame {
        let mut frame = SILENCE;
        let n = self.queued.len().min(FRAME);
        frame[..n].copy_from_slice(&self.queued[..n]);
        self.queued.drain(..n);
        frame
    }

    /// A voice caller's (or a not yet recognised caller's) audio and
    /// out-of-band keys: keys, and words while a menu waits.
    fn heard(&mut self, frame: &Frame, events: Vec<char>, mut menu: Option<&mut Menu>) {
        for k in events {
            self.key(k, KeySource::Event, menu.as_deref_mut());
        }
        self.dtmf.push(frame);
        while let Some(press) = self.dtmf.poll() {
            self.key(press.key, KeySource::InBand, menu.as_deref_mut());
        }
        if let (Some(m), Some(ears)) = (menu, self.ears.as_mut())
            && let Some(said) = ears.push(frame)
        {
            m.handle_heard(&said, self.now());
        }
    }

    fn key(&mut self, key: char, source: KeySource, menu: Option<&mut Menu>) {
        let now = self.now();
        if let Some(ears) = &mut self.ears {
            ears.key_pressed();
        }
        if let (Some(k), Some(m)) = (self.keys.push(key, source, now), menu) {
            m.handle_key(k, now);
        }
    }
}

fn caller_kind_of(door: &FrontDoor) -> CallerKind {
    if door.is_tty() {
        CallerKind::Tty
    } else {
        CallerKind::Voice
    }
}

/// Reads the menu's start for a caller: a TTY line starts printing.
pub(super) fn caller_kind(media: &CallerMedia) -> CallerKind {
    match media {
        CallerMedia::Tty(_) => CallerKind::Tty,
        _ => CallerKind::Voice,
    }
}

/// Shared handle type for the menu tree.
pub(super) type Tree = Arc<crate::frontdoor::menu::MenuTree>;

/// The front door as the server runs it, built once from `[menu]`.
pub(super) struct DoorPlan {
    pub tree: Tree,
    pub settings: crate::frontdoor::menu::MenuSettings,
    pub speech: SpeechService,
    /// The whisper decoders every call shares, for spoken answers.
    pub captions: DecoderPool,
    /// The menu's words, prompting those decodes.
    pub vocabulary: Arc<str>,
    /// The voice for slow-mode callers and case numbers.
    pub slow_voice: VoiceProfile,
    pub route_header: String,
    pub case_header: String,
    pub desk: FrontDesk,
}

/// A caller the front door sends to a queue.
pub(super) struct RoutedCall {
    /// The caller, recognised, with their media.
    pub media: super::Detection,
    pub queue: QueueConfig,
    /// For the agent's INVITE: the choices and the case number.
    pub headers: Vec<(String, String)>,
    /// A voice caller in slow mode.
    pub slow: bool,
    /// What a TTY reads before the relay's greeting (its case number).
    pub tty_prefix: String,
}

/// Where the front door sent a caller.
pub(super) enum Routed {
    /// To a queue.
    To(Box<RoutedCall>),
    /// Out of hours, told so; nobody to dial.
    Closed,
    /// The caller left.
    Gone,
    /// The server is stopping.
    Stopped,
}

/// Takes a caller through the menu from `start`, then tells them their
/// case number; `line_queue` serves a caller who asks for a human.
pub(super) async fn route_caller(
    plan: &DoorPlan,
    config: &Config,
    media: CallerMedia,
    (start, line_queue, voice, slow): (&str, &QueueConfig, &VoiceProfile, bool),
    dialog: &mut Dialog<'_>,
) -> Routed {
    let kind = caller_kind(&media);
    let voices = DoorVoices {
        speech: plan.speech.clone(),
        normal: voice.clone(),
        slow: plan.slow_voice.clone(),
    };
    // A TTY line's caller types: nothing to transcribe.
    let ears = match kind {
        CallerKind::Tty => None,
        CallerKind::Voice => SpokenAnswers::new(&plan.captions, Arc::clone(&plan.vocabulary)),
    };
    let mut door = FrontDoor::new(media, voices, ears);
    let menu = Menu::new(
        Arc::clone(&plan.tree),
        Some(start),
        kind,
        slow,
        plan.settings.clone(),
    );
    let mut outcome = match door.run_menu(menu, dialog).await {
        DoorEnd::Done(Some(o)) => o,
        DoorEnd::Done(None) | DoorEnd::Gone => return Routed::Gone,
        DoorEnd::Stopped => return Routed::Stopped,
    };
    let line_name = line_queue.name.get_ref().as_str();
    // A closed queue may offer another; the caller gets one such turn.
    let mut offered = false;
    let (queue_name, route) = loop {
        match plan.desk.decide(&outcome, line_name, Timestamp::now()) {
            Decision::Open { queue, route } => break (queue, route),
            Decision::Closed { queue, closed } => {
                info!(queue = %queue, "out of hours");
                if offered || closed.options.is_empty() {
                    let _ = door
                        .tell(&closed.say, &closed.tty, outcome.slow, dialog)
                        .await;
                    return Routed::Closed;
                }
                offered = true;
                let tree = Arc::new(MenuTree::single(&closed.say, &closed.tty, &closed.options));
                let kind = caller_kind_of(&door);
                let menu = Menu::new(tree, None, kind, outcome.slow, plan.settings.clone());
                let again = match door.run_menu(menu, dialog).await {
                    DoorEnd::Done(Some(o)) => o,
                    DoorEnd::Done(None) | DoorEnd::Gone => return Routed::Gone,
                    DoorEnd::Stopped => return Routed::Stopped,
                };
                if again.to == Destination::Human {
                    let _ = door
                        .tell(&closed.say, &closed.tty, outcome.slow, dialog)
                        .await;
                    return Routed::Closed;
                }
                outcome = Outcome {
                    choices: std::mem::take(&mut outcome.choices),
                    case: outcome.case.or(again.case),
                    slow: outcome.slow || again.slow,
                    to: again.to,
                };
            }
        }
    };
    let queue = config
        .queue
        .iter()
        .find(|q| *q.name.get_ref() == queue_name)
        .unwrap_or(line_queue);
    info!(queue = %queue_name, slow = outcome.slow, "menu done");
    let case = outcome.case.unwrap_or_else(new_case_number);
    let groups = case.spoken_groups();
    // A TTY reads it at the head of the relay's greeting, printed while
    // the agent's phone rings; a voice caller hears it twice, slowly,
    // before the agent is dialled.
    let tty_prefix = format!("YOUR CASE NBR IS {}\n", case.tty_form());
    if !door.is_tty() {
        let say = format!("Your case number is: {groups} Once more: {groups}");
        match door.tell(&say, &tty_prefix, true, dialog).await {
            DoorEnd::Done(_) => {}
            DoorEnd::Gone => return Routed::Gone,
            DoorEnd::Stopped => return Routed::Stopped,
        }
    }
    let headers = vec![
        (plan.route_header.clone(), route),
        (plan.case_header.clone(), case.digits()),
    ];
    let detection = match door.into_media() {
        Some(CallerMedia::Tty(leg)) => super::Detection::Tty(leg),
        Some(CallerMedia::Voice(port) | CallerMedia::Listening(port, _)) => {
            super::Detection::Voice(Box::new(port))
        }
        None => super::Detection::Gone,
    };
    Routed::To(Box::new(RoutedCall {
        media: detection,
        queue: queue.clone(),
        headers,
        slow: outcome.slow,
        tty_prefix,
    }))
}

/// A fresh case number: nine random digits and the check digit.
fn new_case_number() -> CaseNumber {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0xca5e);
    CaseNumber::from_seed(h.finish())
}
