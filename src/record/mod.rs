//! The record: calendar months, time spans, the monthly scorecard computed from stored
//! incidents, windows and hourly roll-ups, and the banks' word against their outages.

pub mod availability;
pub mod compare;
pub mod evidence;
pub mod month;
pub mod period;
pub mod replay;
pub mod scorecard;
pub mod series;
pub mod shared;
pub mod spans;
pub mod voices;
pub mod word;

pub use month::Month;
pub use period::Period;
