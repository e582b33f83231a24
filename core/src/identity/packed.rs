//! A claim's optional text fields kept in one heap block.
//!
//! A verified identity lives in every session for the session's whole life, so its in-memory
//! form decides what a session costs. Kept as one `Option<String>` per field, an address is
//! sixteen 24-byte headers (384 bytes) before any text, plus one heap block per field present.
//! [`Texts`] keeps the texts end to end in one block and, per field, where its text ends: one
//! allocation per claim and 4 bytes per field.

/// Up to 32 optional text fields: their texts end to end in one block, where each ends, and
/// which are present (an absent field and an empty one differ).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Texts<const N: usize> {
    text: Box<str>,
    /// `ends[i]` is where field `i`'s text ends in `text` (and field `i + 1`'s begins).
    ends: [u32; N],
    /// Bit `i` set: field `i` is present.
    present: u32,
}

impl<const N: usize> Texts<N> {
    /// Packs the fields, in order.
    pub(crate) fn new(fields: [Option<String>; N]) -> Self {
        const { assert!(N <= 32, "a presence mask holds 32 fields") };
        let len = fields.iter().flatten().map(String::len).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0; N];
        let mut present = 0;
        for (i, field) in fields.into_iter().enumerate() {
            if let Some(field) = field {
                text.push_str(&field);
                present |= 1 << i;
            }
            // A claim over 4 GiB never gets here (answers are bounded far below); were one to,
            // its later fields would read as absent (see `get`), never panic.
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Self { text: text.into_boxed_str(), ends, present }
    }

    /// Field `i`, if present.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        if i >= N || self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..self.ends[i] as usize)
    }

    /// Field `i` as an owned string, for the stored form.
    pub(crate) fn owned(&self, i: usize) -> Option<String> {
        self.get(i).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_as_they_were_absent_and_empty_apart() {
        let t = Texts::new([Some("ab".to_owned()), None, Some(String::new()), Some("ünï".to_owned())]);
        assert_eq!([t.get(0), t.get(1), t.get(2), t.get(3), t.get(4)], [Some("ab"), None, Some(""), Some("ünï"), None]);
        assert_eq!(t.owned(3).as_deref(), Some("ünï"));
        let none = Texts::<3>::new(Default::default());
        assert_eq!([none.get(0), none.get(1), none.get(2)], [None, None, None]);
        assert!(Texts::new([Some(String::new())]) != Texts::new([None]));
    }

    #[test]
    fn thirty_two_fields_fit_the_mask() {
        let fields: [Option<String>; 32] = std::array::from_fn(|i| Some(i.to_string()));
        let t = Texts::new(fields);
        assert!((0..32).all(|i| t.get(i) == Some(i.to_string().as_str())));
    }
}
