//! The ID token a session keeps for `id_token_hint`, as the bytes its base64url segments
//! encode: three quarters of the text's size, in every session for its whole life.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::types::IdToken;

#[derive(Clone)]
pub(crate) enum KeptToken {
    /// The three segments decoded, end to end, and where the first two end.
    Decoded { bytes: Box<[u8]>, header_end: u32, payload_end: u32 },
    /// A text that does not encode back to itself from its bytes (a verified token always
    /// does), kept as it is.
    Text(Box<str>),
}

impl KeptToken {
    pub(crate) fn new(text: &str) -> Self {
        Self::decode(text).filter(|kept| kept.text() == text).unwrap_or_else(|| Self::Text(text.into()))
    }

    fn decode(text: &str) -> Option<Self> {
        let mut segments = text.split('.');
        let (header, payload, signature) = (segments.next()?, segments.next()?, segments.next()?);
        if segments.next().is_some() {
            return None;
        }
        let mut bytes = Vec::with_capacity(text.len() / 4 * 3 + 3);
        URL_SAFE_NO_PAD.decode_vec(header, &mut bytes).ok()?;
        let header_end = u32::try_from(bytes.len()).ok()?;
        URL_SAFE_NO_PAD.decode_vec(payload, &mut bytes).ok()?;
        let payload_end = u32::try_from(bytes.len()).ok()?;
        URL_SAFE_NO_PAD.decode_vec(signature, &mut bytes).ok()?;
        Some(Self::Decoded { bytes: bytes.into_boxed_slice(), header_end, payload_end })
    }

    /// The token's text, as One Login issued it.
    pub(crate) fn text(&self) -> String {
        match self {
            Self::Decoded { bytes, header_end, payload_end } => {
                let (header_end, payload_end) = (*header_end as usize, *payload_end as usize);
                let part = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
                let mut text = String::with_capacity(bytes.len() / 3 * 4 + 6);
                URL_SAFE_NO_PAD.encode_string(part(0..header_end), &mut text);
                text.push('.');
                URL_SAFE_NO_PAD.encode_string(part(header_end..payload_end), &mut text);
                text.push('.');
                URL_SAFE_NO_PAD.encode_string(part(payload_end..bytes.len()), &mut text);
                text
            }
            Self::Text(text) => text.to_string(),
        }
    }

    pub(crate) fn token(&self) -> IdToken {
        IdToken::new(self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_it_came_and_is_kept_in_three_quarters_of_its_text() {
        let text = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"urn:fdc:gov.uk:2022:x","nonce":"n"}"#),
            URL_SAFE_NO_PAD.encode([7u8; 64])
        );
        let kept = KeptToken::new(&text);
        assert!(matches!(&kept, KeptToken::Decoded { bytes, .. } if bytes.len() * 4 <= text.len() * 3 + 6));
        assert_eq!(kept.text(), text);
        assert_eq!(kept.token().secret(), text);
    }

    #[test]
    fn text_that_would_not_read_back_the_same_is_kept_as_it_is() {
        // Not base64url; padded; trailing bits set ("Ag" would be canonical for [2]); four
        // segments; empty segments.
        for text in ["h.p.s!", "aGk=.aGk.aGk", "Ah.aGk.aGk", "a.b.c.d", "..", "", "no dots"] {
            let kept = KeptToken::new(text);
            assert_eq!(kept.text(), text, "{text:?}");
        }
        assert!(matches!(KeptToken::new(".."), KeptToken::Decoded { .. }), "empty segments decode to nothing");
        assert!(matches!(KeptToken::new("Ah.aGk.aGk"), KeptToken::Text(_)));
    }
}
