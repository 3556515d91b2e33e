//! Baudot FSK modem (TIA-825-A / ITU-T V.18 Annex A).
