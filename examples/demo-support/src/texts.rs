//! What the demos' pages say, in English and Welsh (GOV.UK's Welsh wording where it has one:
//! "Mewngofnodi", "Allgofnodi", "Mae problem gyda'r gwasanaeth").

use govuk_one_login::web::{Locale, ProblemKind};
use serde::Serialize;

/// Every text of the pages, in one language.
#[derive(Debug, Serialize)]
pub(crate) struct Texts {
    pub(crate) service_name: &'static str,
    pub(crate) skip_link: &'static str,
    pub(crate) one_login_menu: &'static str,
    pub(crate) one_login: &'static str,
    pub(crate) sign_out: &'static str,
    pub(crate) service_menu: &'static str,
    pub(crate) service_information: &'static str,
    pub(crate) menu: &'static str,
    pub(crate) nav_account: &'static str,
    pub(crate) nav_identity: &'static str,
    pub(crate) language: &'static str,
    pub(crate) footer: &'static str,
    pub(crate) start_title: &'static str,
    pub(crate) start_intro: &'static str,
    pub(crate) start_you_can: &'static str,
    pub(crate) start_see_account: &'static str,
    pub(crate) start_see_identity: &'static str,
    pub(crate) start_now: &'static str,
    pub(crate) start_signed_in: &'static str,
    pub(crate) account_title: &'static str,
    pub(crate) subject: &'static str,
    pub(crate) email: &'static str,
    pub(crate) phone: &'static str,
    pub(crate) level_achieved: &'static str,
    pub(crate) visits: &'static str,
    pub(crate) identity_title: &'static str,
    pub(crate) name: &'static str,
    pub(crate) birth_date: &'static str,
    pub(crate) confidence: &'static str,
    pub(crate) not_given: &'static str,
    pub(crate) see_identity: &'static str,
    pub(crate) everywhere_heading: &'static str,
    pub(crate) everywhere_body: &'static str,
    pub(crate) everywhere_button: &'static str,
    pub(crate) signed_out_title: &'static str,
    pub(crate) signed_out_body: &'static str,
    pub(crate) go_to_start: &'static str,
    pub(crate) try_again: &'static str,
    pub(crate) sign_in_again: &'static str,
    pub(crate) not_proven_title: &'static str,
    pub(crate) not_proven_body: &'static str,
    pub(crate) return_codes_heading: &'static str,
    pub(crate) return_codes_intro: &'static str,
    pub(crate) return_code: &'static str,
    pub(crate) return_code_meaning: &'static str,
    pub(crate) no_return_codes: &'static str,
    pub(crate) prove_again: &'static str,
}

pub(crate) const EN: Texts = Texts {
    service_name: "One Login demo",
    skip_link: "Skip to main content",
    one_login_menu: "GOV.UK One Login",
    one_login: "GOV.UK One Login",
    sign_out: "Sign out",
    service_menu: "Menu",
    service_information: "Service information",
    menu: "Menu",
    nav_account: "Your account",
    nav_identity: "Your verified identity",
    language: "Language",
    footer: "This is a demonstration of signing in with GOV.UK One Login. It is not a real service.",
    start_title: "Try signing in with GOV.UK One Login",
    start_intro: "Use this demo to see how a service signs you in with GOV.UK One Login and checks who you are.",
    start_you_can: "You can:",
    start_see_account: "see your account details (you need to sign in)",
    start_see_identity: "see your verified identity (you need to prove who you are)",
    start_now: "Start now",
    start_signed_in: "You are signed in. Level achieved:",
    account_title: "Your account",
    subject: "Subject identifier",
    email: "Email address",
    phone: "Phone number",
    level_achieved: "Level achieved",
    visits: "Views of this page in this session",
    identity_title: "Your verified identity",
    name: "Name",
    birth_date: "Date of birth",
    confidence: "Level of confidence",
    not_given: "Not given",
    see_identity: "See your verified identity",
    everywhere_heading: "Sign out on every device",
    everywhere_body: "This signs you out of this service on every device and browser you are signed in on, and out of GOV.UK One Login here.",
    everywhere_button: "Sign out on every device",
    signed_out_title: "You have signed out",
    signed_out_body: "You have signed out of the One Login demo and of GOV.UK One Login.",
    go_to_start: "Go to the start page",
    try_again: "Try again",
    sign_in_again: "Sign in again",
    not_proven_title: "We could not confirm your identity",
    not_proven_body: "You are signed in, but GOV.UK One Login could not confirm who you are.",
    return_codes_heading: "Why we could not confirm it",
    return_codes_intro: "GOV.UK One Login sent these return codes. Each is a letter whose meaning One Login agrees privately with each service; a real service tells you what to do next for each one.",
    return_code: "Return code",
    return_code_meaning: "Agreed between GOV.UK One Login and the service",
    no_return_codes: "GOV.UK One Login did not say why.",
    prove_again: "Try proving your identity again",
};

pub(crate) const CY: Texts = Texts {
    service_name: "Demo One Login",
    skip_link: "Neidio i'r prif gynnwys",
    one_login_menu: "GOV.UK One Login",
    one_login: "GOV.UK One Login",
    sign_out: "Allgofnodi",
    service_menu: "Dewislen",
    service_information: "Gwybodaeth am y gwasanaeth",
    menu: "Dewislen",
    nav_account: "Eich cyfrif",
    nav_identity: "Eich hunaniaeth wedi'i dilysu",
    language: "Iaith",
    footer: "Arddangosiad o fewngofnodi gyda GOV.UK One Login yw hwn. Nid yw'n wasanaeth go iawn.",
    start_title: "Rhowch gynnig ar fewngofnodi gyda GOV.UK One Login",
    start_intro: "Defnyddiwch y demo hwn i weld sut mae gwasanaeth yn eich mewngofnodi gyda GOV.UK One Login ac yn gwirio pwy ydych chi.",
    start_you_can: "Gallwch:",
    start_see_account: "weld manylion eich cyfrif (mae angen i chi fewngofnodi)",
    start_see_identity: "weld eich hunaniaeth wedi'i dilysu (mae angen i chi brofi pwy ydych chi)",
    start_now: "Dechrau nawr",
    start_signed_in: "Rydych wedi mewngofnodi. Y lefel a gyflawnwyd:",
    account_title: "Eich cyfrif",
    subject: "Dynodydd pwnc",
    email: "Cyfeiriad e-bost",
    phone: "Rhif ffôn",
    level_achieved: "Y lefel a gyflawnwyd",
    visits: "Sawl gwaith yr edrychwyd ar y dudalen hon yn y sesiwn hon",
    identity_title: "Eich hunaniaeth wedi'i dilysu",
    name: "Enw",
    birth_date: "Dyddiad geni",
    confidence: "Lefel hyder",
    not_given: "Heb ei roi",
    see_identity: "Gweld eich hunaniaeth wedi'i dilysu",
    everywhere_heading: "Allgofnodi ar bob dyfais",
    everywhere_body: "Mae hyn yn eich allgofnodi o'r gwasanaeth hwn ar bob dyfais a porwr rydych wedi mewngofnodi arnynt, ac o GOV.UK One Login yma.",
    everywhere_button: "Allgofnodi ar bob dyfais",
    signed_out_title: "Rydych wedi allgofnodi",
    signed_out_body: "Rydych wedi allgofnodi o'r demo One Login ac o GOV.UK One Login.",
    go_to_start: "Mynd i'r dudalen gychwyn",
    try_again: "Rhowch gynnig arall arni",
    sign_in_again: "Mewngofnodi eto",
    not_proven_title: "Nid oeddem yn gallu cadarnhau pwy ydych chi",
    not_proven_body: "Rydych wedi mewngofnodi, ond nid oedd GOV.UK One Login yn gallu cadarnhau pwy ydych chi.",
    return_codes_heading: "Pam nad oeddem yn gallu ei gadarnhau",
    return_codes_intro: "Anfonodd GOV.UK One Login y codau dychwelyd hyn. Llythyren yw pob un, ac mae One Login yn cytuno ar ei hystyr yn breifat gyda phob gwasanaeth; mae gwasanaeth go iawn yn dweud wrthych beth i'w wneud nesaf ar gyfer pob un.",
    return_code: "Cod dychwelyd",
    return_code_meaning: "Wedi'i gytuno rhwng GOV.UK One Login a'r gwasanaeth",
    no_return_codes: "Ni ddywedodd GOV.UK One Login pam.",
    prove_again: "Rhowch gynnig arall ar brofi pwy ydych chi",
};

pub(crate) fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Cy => &CY,
        _ => &EN,
    }
}

/// An error page's heading and paragraphs, in the GOV.UK "There is a problem with the
/// service" pattern.
pub(crate) fn problem(kind: ProblemKind, locale: Locale) -> (&'static str, &'static [&'static str]) {
    let cy = locale == Locale::Cy;
    match (kind, cy) {
        (ProblemKind::SignInCancelled, false) => (
            "You did not finish signing in",
            &["You did not finish signing in or proving your identity.", "You can try again."],
        ),
        (ProblemKind::SignInCancelled, true) => (
            "Ni wnaethoch orffen mewngofnodi",
            &["Ni wnaethoch orffen mewngofnodi na phrofi pwy ydych chi.", "Gallwch roi cynnig arall arni."],
        ),
        (ProblemKind::SignedOut, false) => ("You have been signed out", &["Sign in again to continue."]),
        (ProblemKind::SignedOut, true) => ("Rydych wedi cael eich allgofnodi", &["Mewngofnodwch eto i barhau."]),
        (ProblemKind::LinkExpired, false) => (
            "Sorry, there is a problem",
            &["This sign-in link has expired or was already used.", "Start again from the service."],
        ),
        (ProblemKind::LinkExpired, true) => (
            "Mae'n ddrwg gennym, mae problem",
            &[
                "Mae'r ddolen mewngofnodi hon wedi dod i ben neu wedi'i defnyddio'n barod.",
                "Dechreuwch eto o'r gwasanaeth.",
            ],
        ),
        (ProblemKind::SignInFailed, false) => {
            ("Sorry, there is a problem", &["Signing in could not be completed.", "Try again."])
        }
        (ProblemKind::SignInFailed, true) => {
            ("Mae'n ddrwg gennym, mae problem", &["Nid oedd modd cwblhau'r mewngofnodi.", "Rhowch gynnig arall arni."])
        }
        (ProblemKind::OneLoginUnavailable, false) => (
            "Sorry, the service is unavailable",
            &["GOV.UK One Login is temporarily unavailable.", "Try again in a few minutes."],
        ),
        (ProblemKind::OneLoginUnavailable, true) => (
            "Mae'n ddrwg gennym, nid yw'r gwasanaeth ar gael",
            &["Nid yw GOV.UK One Login ar gael dros dro.", "Rhowch gynnig arall arni mewn ychydig funudau."],
        ),
        (ProblemKind::OneLoginUnreachable, false) => (
            "Sorry, the service is unavailable",
            &["GOV.UK One Login could not be reached.", "Try again in a few minutes."],
        ),
        (ProblemKind::OneLoginUnreachable, true) => (
            "Mae'n ddrwg gennym, nid yw'r gwasanaeth ar gael",
            &["Nid oedd modd cysylltu â GOV.UK One Login.", "Rhowch gynnig arall arni mewn ychydig funudau."],
        ),
        (ProblemKind::SignOutFormExpired, false) => (
            "Sorry, there is a problem",
            &["The sign-out form has expired.", "Go back to the page and try signing out again."],
        ),
        (ProblemKind::SignOutFormExpired, true) => (
            "Mae'n ddrwg gennym, mae problem",
            &[
                "Mae'r ffurflen allgofnodi wedi dod i ben.",
                "Ewch yn ôl i'r dudalen a rhowch gynnig arall ar allgofnodi.",
            ],
        ),
        (ProblemKind::ServiceUnavailable, false) => {
            ("Sorry, the service is unavailable", &["Try again in a few minutes."])
        }
        (ProblemKind::ServiceUnavailable, true) => {
            ("Mae'n ddrwg gennym, nid yw'r gwasanaeth ar gael", &["Rhowch gynnig arall arni mewn ychydig funudau."])
        }
        (_, false) => ("Sorry, there is a problem with the service", &["Try again later."]),
        (_, true) => {
            ("Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth", &["Rhowch gynnig arall arni yn nes ymlaen."])
        }
    }
}
