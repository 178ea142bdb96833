//! The record: calendar months, time spans and the monthly scorecard computed from stored
//! incidents, windows and hourly roll-ups.

pub mod evidence;
pub mod month;
pub mod replay;
pub mod scorecard;
pub mod series;
pub mod spans;

pub use month::Month;
