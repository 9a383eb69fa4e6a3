#!/usr/bin/env node
// An independent implementation of the Bluezone scheme behind the interop adapter protocol.
//
// Written from the spec alone (spec/01-key-schedule.md, 02-advertisement.md, 03-matching.md,
// the Merkle tree of 04-key-server.md, the GAEN v2 part of 05-risk.md,
// 90-interop-adapter.md), with Node's built-in crypto module and no other dependency.
// Of the risk ops it implements score_v2 and the levels of the F0 -> F1 -> F2 chain, of the
// log ops the four Merkle ops; the others
// (score_cwa, score_v1, export files, signed notes) it leaves out, and the suite reports
// their tests as unsupported.
// It reads one JSON request per line on stdin and writes one JSON answer per line on stdout;
// with --listen HOST:PORT it serves the same protocol to each TCP connection instead.
"use strict";

const crypto = require("node:crypto");
const net = require("node:net");

const IMPLEMENTATION = "bluezone-node-example";
const VERSION = "1.0.0";

// Spec constants (KS-*, ADV-*, MATCH-*).
const TEK_LENGTH = 16; // KS-1
const RPI_LENGTH = 16; // KS-6
const METADATA_LENGTH = 4; // KS-9
const MAX_INTERVAL = 2 ** 32 - 1; // KS-2
const MAX_ROLLING_PERIOD = 144; // KS-4
const TOLERANCE = 12; // MATCH-3
const MAX_AD_LENGTH = 31; // ADV-4
const SERVICE_UUID = 0xfd6f; // ADV-1
const AD_FLAGS = 0x01;
const AD_UUID16_COMPLETE = 0x03;
const AD_SERVICE_DATA16 = 0x16;
const SERVICE_DATA_LENGTH = RPI_LENGTH + METADATA_LENGTH; // ADV-11
const MAX_LINE_BYTES = 1 << 22; // IOP-2

// An error the spec defines: answered as invalid_input, with the spec's name as detail.
class InputError extends Error {
  constructor(detail, message) {
    super(message);
    this.detail = detail;
  }
}

// ---- reading params (IOP-8, IOP-9) ----

function hexParam(params, name, length, detail) {
  const value = params[name];
  if (typeof value !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) {
    throw new InputError(null, `param ${name} must be a string of hex digit pairs`);
  }
  const bytes = Buffer.from(value, "hex");
  if (length !== undefined && bytes.length !== length) {
    throw new InputError(detail, `${name} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function intParam(params, name) {
  const value = params[name];
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InputError(null, `param ${name} must be an integer`);
  }
  return value;
}

function intervalParam(params, name) {
  const value = intParam(params, name);
  if (value < 0 || value > MAX_INTERVAL) {
    throw new InputError("invalid_interval", `${name} must be in 0..2^32-1 (KS-2)`);
  }
  return value;
}

function listParam(params, name) {
  const value = params[name];
  if (!Array.isArray(value) || !value.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
    throw new InputError(null, `param ${name} must be a list of objects`);
  }
  return value;
}

// ---- key schedule (KS-5..KS-8) ----

function hkdf(tek, info) {
  // KS-5, KS-7: HKDF-SHA256 with an empty salt, 16 bytes of output.
  return Buffer.from(crypto.hkdfSync("sha256", tek, Buffer.alloc(0), Buffer.from(info, "ascii"), 16));
}

function paddedData(interval) {
  // KS-6: "EN-RPI" || six zero bytes || interval as uint32 little-endian.
  const block = Buffer.alloc(16);
  block.write("EN-RPI", 0, "ascii");
  block.writeUInt32LE(interval, 12);
  return block;
}

function rpisFor(rpik, firstInterval, count) {
  // KS-6: one AES-128-ECB block per interval, all in one cipher call.
  const blocks = [];
  for (let i = 0; i < count; i++) blocks.push(paddedData(firstInterval + i));
  const cipher = crypto.createCipheriv("aes-128-ecb", rpik, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat(blocks)), cipher.final()]);
}

function aemCrypt(tek, rpi, data) {
  // KS-8: AES-128-CTR keyed with the AEMK, the RPI as the initial counter block.
  const cipher = crypto.createDecipheriv("aes-128-ctr", hkdf(tek, "EN-AEMK"), rpi);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function tekParam(params, name = "tek") {
  return hexParam(params, name, TEK_LENGTH, "invalid_key");
}

// ---- advertisement (ADV-1, ADV-4..ADV-12) ----

function encodeAdvertisement(rpi, aem, withFlags) {
  const flags = withFlags ? Buffer.from([0x02, AD_FLAGS, 0x1a]) : Buffer.alloc(0);
  const uuids = Buffer.from([0x03, AD_UUID16_COMPLETE, 0x6f, 0xfd]);
  const header = Buffer.from([0x17, AD_SERVICE_DATA16, 0x6f, 0xfd]);
  return Buffer.concat([flags, uuids, header, rpi, aem]);
}

function decodeAdvertisement(ad) {
  if (ad.length > MAX_AD_LENGTH) throw new InputError("ad_too_long", "more than 31 octets (ADV-4)");
  const seen = new Set();
  let serviceData = null;
  let i = 0;
  while (i < ad.length) {
    const length = ad[i];
    if (length === 0) {
      // ADV-6: a zero length ends the significant part; the rest must be zero.
      if (ad.subarray(i).some((b) => b !== 0)) {
        throw new InputError("ad_nonzero_padding", "non-zero octet after the terminator (ADV-6)");
      }
      break;
    }
    if (i + 1 + length > ad.length) throw new InputError("ad_truncated", "structure runs past the end (ADV-5)");
    const type = ad[i + 1];
    const data = ad.subarray(i + 2, i + 1 + length);
    if (type === AD_FLAGS || type === AD_UUID16_COMPLETE) {
      if (seen.has(type)) throw new InputError("ad_duplicate_structure", `type ${type} twice (ADV-7)`);
      seen.add(type);
    }
    if (type === AD_FLAGS && data.length !== 1) {
      throw new InputError("ad_bad_flags", "flags must hold one octet (ADV-8)");
    }
    if (type === AD_UUID16_COMPLETE) checkUuidList(data);
    if (type === AD_SERVICE_DATA16) {
      if (data.length < 2) throw new InputError("ad_service_data_length", "service data without UUID (ADV-11)");
      if (data.readUInt16LE(0) === SERVICE_UUID) {
        if (serviceData !== null) throw new InputError("ad_duplicate_structure", "two 0xFD6F service data (ADV-7)");
        if (data.length - 2 !== SERVICE_DATA_LENGTH) {
          throw new InputError("ad_service_data_length", "service data must be 20 octets (ADV-11)");
        }
        serviceData = data.subarray(2);
      }
    }
    i += 1 + length;
  }
  if (!seen.has(AD_UUID16_COMPLETE)) throw new InputError("ad_missing_service_uuid", "no UUID list (ADV-9)");
  if (serviceData === null) throw new InputError("ad_missing_service_data", "no 0xFD6F service data (ADV-10)");
  return { rpi: serviceData.subarray(0, RPI_LENGTH), aem: serviceData.subarray(RPI_LENGTH) };
}

function checkUuidList(data) {
  // ADV-9: a whole number (>= 1) of 2-byte UUIDs, one of them 0xFD6F.
  let found = false;
  if (data.length >= 2 && data.length % 2 === 0) {
    for (let k = 0; k < data.length; k += 2) found = found || data.readUInt16LE(k) === SERVICE_UUID;
  }
  if (!found) throw new InputError("ad_missing_service_uuid", "UUID list lacks 0xFD6F (ADV-9)");
}

// ---- matching (MATCH-1..MATCH-5) ----

function readKey(item) {
  const key = hexParam(item, "key", TEK_LENGTH, "invalid_key");
  const start = intervalParam(item, "rolling_start");
  const period = intParam(item, "rolling_period");
  // KS-4: receivers check the range and that the last interval fits in a uint32.
  if (period < 1 || period > MAX_ROLLING_PERIOD || start + period - 1 > MAX_INTERVAL) {
    throw new InputError("invalid_rolling_period", "rolling_period must be 1..144 (KS-4)");
  }
  return { key, start, period };
}

function match(params) {
  const keys = listParam(params, "keys").map(readKey);
  const sightings = listParam(params, "sightings").map((s) => ({
    rpi: hexParam(s, "rpi", RPI_LENGTH, null).toString("hex"),
    interval: intervalParam(s, "interval"),
  }));
  const byRpi = new Map();
  sightings.forEach((s, index) => {
    if (!byRpi.has(s.rpi)) byRpi.set(s.rpi, []);
    byRpi.get(s.rpi).push(index);
  });
  const seenKeys = new Set();
  const matched = new Set();
  const matches = [];
  keys.forEach((k, keyIndex) => {
    const id = k.key.toString("hex");
    if (seenKeys.has(id)) return; // MATCH-4: later copies of a key are ignored
    seenKeys.add(id);
    const rpis = rpisFor(hkdf(k.key, "EN-RPIK"), k.start, k.period); // MATCH-2
    for (let j = 0; j < k.period; j++) {
      const hits = byRpi.get(rpis.subarray(16 * j, 16 * j + 16).toString("hex")) || [];
      for (const s of hits) {
        // MATCH-3: within 12 intervals; MATCH-5: a sighting matches at most one key.
        if (!matched.has(s) && Math.abs(sightings[s].interval - (k.start + j)) <= TOLERANCE) {
          matched.add(s);
          matches.push({ key_index: keyIndex, sighting_index: s });
        }
      }
    }
  });
  return { matches };
}

// ---- transparency log: RFC 9162 Merkle tree (LOG-1, LOG-3, LOG-4) ----
//
// Sizes and indices are up to 2^64-1 in the spec; JSON numbers are exact only up to 2^53,
// so this adapter answers invalid_input to anything larger (IOP-31) and computes with
// BigInt, because JavaScript's bitwise operators work on 32 bits.

const HASH_LENGTH = 32; // LOG-1
const EMPTY_ROOT = sha256(); // LOG-1: the empty tree's hash is SHA-256 of nothing

function sha256(...parts) {
  return crypto.createHash("sha256").update(Buffer.concat(parts)).digest();
}

function leafHash(data) {
  return sha256(Buffer.from([0x00]), data); // LOG-1: leaf prefix 0x00
}

function nodeHash(left, right) {
  return sha256(Buffer.from([0x01]), left, right); // LOG-1: node prefix 0x01
}

function bitLength(n) {
  return n === 0n ? 0n : BigInt(n.toString(2).length);
}

function largestPowerBelow(n) {
  return 1n << (bitLength(n - 1n) - 1n); // RFC 9162's k, for n >= 2
}

function treeHash(hashes) {
  // LOG-1: split at the largest power of two below n.
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return hashes[0];
  const k = Number(largestPowerBelow(BigInt(hashes.length)));
  return nodeHash(treeHash(hashes.slice(0, k)), treeHash(hashes.slice(k)));
}

function sizeParam(params, name) {
  const value = intParam(params, name);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError("merkle_tree_size", `${name} must be in 0..2^53-1 here (LOG-1, IOP-31)`);
  }
  return BigInt(value);
}

function hexListParam(params, name) {
  const value = params[name];
  if (!Array.isArray(value)) throw new InputError(null, `param ${name} must be a list of hex strings`);
  return value.map((item) => hexParam({ [name]: item }, name));
}

function checkHashes(...hashes) {
  if (hashes.some((h) => h.length !== HASH_LENGTH)) {
    throw new InputError("merkle_hash_length", "every hash is 32 bytes (LOG-1)");
  }
}

function fail(detail, message) {
  throw new InputError(detail, message);
}

function inclusionProofLength(index, size) {
  // LOG-3: b + popcount(m >> b), b the bit length of m XOR (n - 1).
  const inner = bitLength(index ^ (size - 1n));
  return Number(inner) + [...(index >> inner).toString(2)].filter((bit) => bit === "1").length;
}

function verifyInclusion(params) {
  // LOG-3, in its check order; RFC 9162 section 2.1.3.2.
  const size = sizeParam(params, "tree_size");
  const rawIndex = intParam(params, "leaf_index");
  if (!Number.isSafeInteger(rawIndex) || rawIndex < 0 || BigInt(rawIndex) >= size) {
    fail("merkle_index_out_of_range", "leaf_index must be below tree_size (LOG-3)");
  }
  const leaf = hexParam(params, "leaf_hash");
  const root = hexParam(params, "root_hash");
  const proof = hexListParam(params, "proof");
  checkHashes(leaf, root, ...proof);
  const index = BigInt(rawIndex);
  if (proof.length !== inclusionProofLength(index, size)) fail("merkle_proof_length", "wrong proof length");
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("merkle_proof_length", "the proof ended before the root");
  if (!r.equals(root)) fail("merkle_root_mismatch", "the proof does not lead to the root");
  return { verified: true };
}

function consistencyProofLength(first, second) {
  // LOG-4: as many hashes as RFC 9162 PROOF(m, D[n]).
  if (first === 0n || first === second) return 0;
  let count = 0;
  let start = 0n;
  let size = second;
  let complete = true;
  while (first - start !== size) {
    const k = largestPowerBelow(size);
    if (first - start <= k) {
      size = k;
    } else {
      start += k;
      size -= k;
      complete = false;
    }
    count += 1;
  }
  return count + (complete ? 0 : 1);
}

function verifyConsistency(params) {
  // LOG-4, in its check order; RFC 9162 section 2.1.4.2.
  const first = sizeParam(params, "size1");
  const second = sizeParam(params, "size2");
  if (first > second) fail("merkle_sizes_out_of_order", "size1 is larger than size2 (LOG-4)");
  const root1 = hexParam(params, "root1");
  const root2 = hexParam(params, "root2");
  let proof = hexListParam(params, "proof");
  checkHashes(root1, root2, ...proof);
  if (proof.length !== consistencyProofLength(first, second)) fail("merkle_proof_length", "wrong proof length");
  if (first === 0n) {
    if (!root1.equals(EMPTY_ROOT) || (second === 0n && !root2.equals(EMPTY_ROOT))) {
      fail("merkle_root_mismatch", "the empty tree's root is SHA-256 of nothing");
    }
    return { verified: true };
  }
  if (first === second) {
    if (!root1.equals(root2)) fail("merkle_root_mismatch", "equal sizes with different roots");
    return { verified: true };
  }
  if ((first & (first - 1n)) === 0n) proof = [root1, ...proof]; // a complete subtree: its root
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0n) fail("merkle_proof_length", "the proof is too long");
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail("merkle_proof_length", "the proof is too short");
  if (!fr.equals(root1) || !sr.equals(root2)) fail("merkle_root_mismatch", "the proof does not match the roots");
  return { verified: true };
}

// ---- GAEN v2 daily summaries (spec 05-risk.md RISK-7..RISK-14, IOP-27) ----
// Exact arithmetic (RISK-7): every configuration decimal is read as an integer number of
// millionths (BigInt), so sums never drift and the result does not depend on window order.

const MAX_DAY = Math.floor((2 ** 32 - 1) / 144); // RISK-9
const MAX_CONFIG_NUMBER = 1000000n; // RISK-7
const MAX_V2_WEIGHT = 2500000n; // RISK-11, RISK-12: 2.5 in millionths
const MILLION = 1000000n;
const V2_FIELDS = [
  "attenuation_bucket_thresholds_db",
  "attenuation_bucket_weights",
  "infectiousness_weights",
  "report_type_weights",
];
const V2_OPTIONAL = ["minimum_window_score", "days_since_exposure_threshold"];
const REPORT_TYPES = { 1: "confirmed_test", 2: "confirmed_clinical_diagnosis", 3: "self_report", 4: "recursive" };
const INFECTIOUSNESS = { 1: "standard", 2: "high" };
const WINDOW_FIELDS = ["day", "report_type", "infectiousness", "calibration_confidence", "scan_instances"];
const SCAN_FIELDS = ["typical_attenuation_db", "min_attenuation_db", "seconds_since_last_scan"];

function object(value, name, required, optional, detail) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(detail, `${name} must be a JSON object`);
  }
  const known = new Set([...required, ...optional]);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new InputError(detail, `${name}: unknown field ${key}`);
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) throw new InputError(detail, `${name}: missing field ${key}`);
  }
  return value;
}

function list(value, name, limit, detail) {
  if (!Array.isArray(value) || value.length > limit) {
    throw new InputError(detail, `${name} must be a list of at most ${limit} items`);
  }
  return value;
}

function integer(value, name, low, high, detail) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
    throw new InputError(detail, `${name} must be an integer in ${low}..${high}`);
  }
  return value;
}

// A decimal with at most 6 fractional digits, as an exact count of millionths (RISK-7).
function millionths(value, name, low, high) {
  const detail = "invalid_risk_configuration";
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 2e6) {
    throw new InputError(detail, `${name} must be a number`);
  }
  const fixed = value.toFixed(6);
  if (Number(fixed) !== value) throw new InputError(detail, `${name}: more than 6 decimals`);
  const exact = BigInt(fixed.replace(".", ""));
  if (exact < low || exact > high) throw new InputError(detail, `${name} out of range`);
  return exact;
}

function namedWeights(value, name, names) {
  const fields = Object.values(names);
  object(value, name, fields, [], "invalid_risk_configuration");
  const weights = {};
  for (const [code, field] of Object.entries(names)) {
    weights[code] = millionths(value[field], `${name}.${field}`, 0n, MAX_V2_WEIGHT);
  }
  return weights;
}

function readV2Config(value) {
  const detail = "invalid_risk_configuration";
  const config = object(value, "config", V2_FIELDS, V2_OPTIONAL, detail);
  const thresholds = list(config.attenuation_bucket_thresholds_db, "thresholds", 64, detail);
  if (thresholds.length !== 3) throw new InputError(detail, "RISK-10: three thresholds");
  thresholds.forEach((t, i) => integer(t, `threshold ${i}`, 0, 255, detail));
  if (!(thresholds[0] <= thresholds[1] && thresholds[1] <= thresholds[2])) {
    throw new InputError(detail, "RISK-10: thresholds must not decrease");
  }
  const weights = list(config.attenuation_bucket_weights, "bucket weights", 64, detail);
  if (weights.length !== 4) throw new InputError(detail, "RISK-11: four bucket weights");
  return {
    thresholds,
    bucketWeights: weights.map((w, i) => millionths(w, `bucket weight ${i}`, 0n, MAX_V2_WEIGHT)),
    infectiousness: namedWeights(config.infectiousness_weights, "infectiousness_weights", INFECTIOUSNESS),
    reportType: namedWeights(config.report_type_weights, "report_type_weights", REPORT_TYPES),
    minimum: millionths(config.minimum_window_score ?? 0, "minimum_window_score", 0n, MAX_CONFIG_NUMBER * MILLION),
    daysThreshold: integer(config.days_since_exposure_threshold ?? 0, "days threshold", 0, MAX_DAY, detail),
  };
}

function readWindows(value) {
  const detail = "invalid_exposure_window";
  return list(value, "windows", 100000, detail).map((item, i) => {
    const w = object(item, `windows[${i}]`, WINDOW_FIELDS, [], detail);
    const scans = list(w.scan_instances, "scan_instances", 1800, detail).map((scan) => {
      object(scan, "scan instance", SCAN_FIELDS, [], detail);
      integer(scan.typical_attenuation_db, "typical_attenuation_db", 0, 255, detail);
      integer(scan.min_attenuation_db, "min_attenuation_db", 0, 255, detail);
      integer(scan.seconds_since_last_scan, "seconds_since_last_scan", -86400, 86400, detail);
      return scan;
    });
    return {
      day: integer(w.day, "day", 0, MAX_DAY, detail),
      reportType: integer(w.report_type, "report_type", 1, 4, detail), // RISK-6: no 0 or 5
      infectiousness: integer(w.infectiousness, "infectiousness", 1, 2, detail),
      confidence: integer(w.calibration_confidence, "calibration_confidence", 0, 3, detail),
      scans,
    };
  });
}

// An exact value of 10^-digits units as the nearest JSON number.
function toNumber(value, digits) {
  const sign = value < 0n ? "-" : "";
  const text = (value < 0n ? -value : value).toString().padStart(digits + 1, "0");
  return Number(`${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`);
}

function score_v2(params) {
  const config = readV2Config(params.config);
  const windows = readWindows(params.windows);
  let today = null;
  if (params.today !== undefined && params.today !== null) {
    today = integer(params.today, "today", 0, MAX_DAY, "invalid_risk_configuration");
  }
  if (config.daysThreshold > 0 && today === null) {
    throw new InputError("invalid_risk_configuration", "RISK-14: the days threshold needs today");
  }
  const days = new Map();
  for (const w of windows) {
    let duration = 0n; // RISK-11, in millionths of a second
    for (const scan of w.scans) {
      const bucket = config.thresholds.findIndex((t) => scan.typical_attenuation_db <= t);
      const weight = config.bucketWeights[bucket === -1 ? 3 : bucket];
      duration += BigInt(Math.max(scan.seconds_since_last_scan, 0)) * weight; // RISK-9
    }
    // RISK-12, in 10^-18: duration x infectiousness weight x report type weight.
    const score = duration * config.infectiousness[w.infectiousness] * config.reportType[w.reportType];
    if (score < config.minimum * MILLION * MILLION) continue; // RISK-13
    if (config.daysThreshold > 0 && today - w.day > config.daysThreshold) continue; // RISK-14
    const day = days.get(w.day) || { sum: 0n, max: null, duration: 0n };
    day.sum += score;
    day.max = day.max === null || score > day.max ? score : day.max;
    day.duration += duration;
    days.set(w.day, day);
  }
  const daily_summaries = [...days.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([day, d]) => ({
      day,
      score_sum: toNumber(d.sum, 18),
      maximum_score: toNumber(d.max, 18),
      weighted_duration_sum: toNumber(d.duration, 6),
    }));
  return { daily_summaries };
}

// ---- recursive reports, revisions and levels (IOP-42..IOP-45) ----

function textHex(text) {
  return Buffer.from(text, "utf8").toString("hex");
}

function textParam(params, name) {
  return hexParam(params, name).toString("utf8");
}

function chainKey(item, withReport) {
  const key = {
    key_data: hexParam(item, "key_data", TEK_LENGTH, "invalid_key").toString("hex"), // KS-1
    rolling_start: intervalParam(item, "rolling_start"),
    rolling_period: intParam(item, "rolling_period"),
  };
  if (key.rolling_period < 1 || key.rolling_period > MAX_ROLLING_PERIOD) {
    throw new InputError("invalid_rolling_period", "KS-4: rolling period 1..144");
  }
  if (withReport) {
    for (const name of ["report_type", "days_since_onset"]) {
      const value = item[name];
      if (value !== null && value !== undefined && !Number.isInteger(value)) {
        throw new InputError(null, `${name} must be an integer or null`);
      }
      key[name] = value ?? null;
    }
  }
  return key;
}

// SRV-21: a recursive upload keeps the keys whose day is the exposure day or later.
function recursive_keys(params) {
  const keys = listParam(params, "keys").map((item) => chainKey(item, false));
  const day = Math.floor(intervalParam(params, "exposure_interval") / MAX_ROLLING_PERIOD);
  const kept = [];
  const dropped = [];
  keys.forEach((key, i) => (Math.floor(key.rolling_start / MAX_ROLLING_PERIOD) >= day ? kept : dropped).push(i));
  if (kept.length === 0) throw new InputError("no_key_after_exposure", "SRV-21: every key is before the exposure day");
  return { kept, dropped };
}

// MATCH-11: in log order, keys before revised keys; the last copy gives the report type.
function resolve_keys(params) {
  const resolved = new Map();
  for (const batch of listParam(params, "batches")) {
    const copies = [...listParam(batch, "keys"), ...listParam(batch, "revised_keys")];
    for (const key of copies.map((item) => chainKey(item, true))) {
      const first = resolved.get(key.key_data);
      if (first === undefined) {
        resolved.set(key.key_data, key);
      } else {
        first.report_type = key.report_type;
        first.days_since_onset = key.days_since_onset;
      }
    }
  }
  return { keys: [...resolved.values()] };
}

// The per-day v2 score sums, in 10^-18 units (RISK-10..RISK-14).
function daySums(config, windows) {
  const sums = new Map();
  for (const w of windows) {
    let duration = 0n;
    for (const scan of w.scans) {
      const bucket = config.thresholds.findIndex((t) => scan.typical_attenuation_db <= t);
      duration += BigInt(Math.max(scan.seconds_since_last_scan, 0)) * config.bucketWeights[bucket === -1 ? 3 : bucket];
    }
    const score = duration * config.infectiousness[w.infectiousness] * config.reportType[w.reportType];
    if (score < config.minimum * MILLION * MILLION) continue;
    sums.set(w.day, (sums.get(w.day) || 0n) + score);
  }
  return sums;
}

// The best day of a map of sums: the highest, the latest of equal ones.
function bestDay(sums) {
  let best = null;
  for (const [day, sum] of sums) {
    if (best === null || sum > best.sum || (sum === best.sum && day > best.day)) best = { day, sum };
  }
  return best;
}

// RISK-59: F1 from confirmed, clinical and self-reported windows; F2 from recursive ones.
function exposure_level(params) {
  const detail = "invalid_risk_configuration";
  object(params, "params", ["config", "windows", "score_sum_threshold", "recursive_weight", "recursive_score_sum_threshold"], [], detail);
  const config = readV2Config(params.config);
  const windows = readWindows(params.windows);
  const scale = MILLION * MILLION; // millionths to 10^-18
  const f1Threshold = millionths(params.score_sum_threshold, "score_sum_threshold", 0n, MAX_CONFIG_NUMBER * MILLION) * scale;
  const f2Threshold = millionths(params.recursive_score_sum_threshold, "recursive_score_sum_threshold", 0n, MAX_CONFIG_NUMBER * MILLION) * scale;
  const f2Config = { ...config, reportType: { ...config.reportType, 4: millionths(params.recursive_weight, "recursive_weight", 0n, MAX_CONFIG_NUMBER * MILLION) } };
  const f1 = bestDay(daySums(config, windows.filter((w) => w.reportType !== 4)));
  const f2 = bestDay(daySums(f2Config, windows.filter((w) => w.reportType === 4)));
  if (f1 !== null && f1.sum >= f1Threshold) return { level: textHex("F1"), day: f1.day, score: toNumber(f1.sum, 18) };
  if (f2 !== null && f2.sum >= f2Threshold) return { level: textHex("F2"), day: f2.day, score: toNumber(f2.sum, 18) };
  return { level: textHex("none"), day: null, score: f1 === null ? 0 : toNumber(f1.sum, 18) };
}

const LEVEL_RANK = { none: 0, F2: 1, F1: 2 };

// RISK-61: a change of level and why.
function level_change(params) {
  const detail = "invalid_risk_configuration";
  const previous = textParam(params, "previous");
  const current = textParam(params, "current");
  if (!(previous in LEVEL_RANK) || !(current in LEVEL_RANK)) throw new InputError(detail, "levels are F1, F2 or none");
  const before = object(params.matched_before, "matched_before", [], Object.keys(params.matched_before || {}), detail);
  const now = object(params.matched_now, "matched_now", [], Object.keys(params.matched_now || {}), detail);
  for (const counts of [before, now]) {
    for (const value of Object.values(counts)) integer(value, "a count", 0, Number.MAX_SAFE_INTEGER, detail);
  }
  let found = null;
  if (previous !== current) {
    if (LEVEL_RANK[current] > LEVEL_RANK[previous]) {
      if (previous === "none") found = ["new", "new_exposure"];
      else found = ["raised", (now.recursive || 0) < (before.recursive || 0) ? "upgraded" : "new_exposure"];
    } else {
      found = [current === "none" ? "withdrawn" : "lowered", (now.revoked || 0) > 0 ? "revoked" : "aged_out"];
    }
  }
  return found === null ? { change: null, reason: null } : { change: textHex(found[0]), reason: textHex(found[1]) };
}

// ---- ops (IOP-10..IOP-17, IOP-27, IOP-33, IOP-35, IOP-36, IOP-42..IOP-45) ----

const OPS = {
  derive_keys(params) {
    const tek = tekParam(params);
    return { rpik: hkdf(tek, "EN-RPIK").toString("hex"), aemk: hkdf(tek, "EN-AEMK").toString("hex") };
  },
  rpi(params) {
    const tek = tekParam(params);
    const interval = intervalParam(params, "interval");
    return { rpi: rpisFor(hkdf(tek, "EN-RPIK"), interval, 1).toString("hex") };
  },
  aem_encrypt(params) {
    const tek = tekParam(params);
    const rpi = hexParam(params, "rpi", RPI_LENGTH, null);
    const metadata = hexParam(params, "metadata", METADATA_LENGTH, "invalid_metadata");
    return { aem: aemCrypt(tek, rpi, metadata).toString("hex") };
  },
  aem_decrypt(params) {
    const tek = tekParam(params);
    const rpi = hexParam(params, "rpi", RPI_LENGTH, null);
    const aem = hexParam(params, "aem", METADATA_LENGTH, "invalid_metadata");
    return { metadata: aemCrypt(tek, rpi, aem).toString("hex") };
  },
  advertisement_encode(params) {
    const rpi = hexParam(params, "rpi", RPI_LENGTH, null);
    const aem = hexParam(params, "aem", METADATA_LENGTH, null);
    const flags = params.flags === undefined ? true : params.flags;
    if (typeof flags !== "boolean") throw new InputError(null, "param flags must be true or false");
    return { ad: encodeAdvertisement(rpi, aem, flags).toString("hex") };
  },
  advertisement_decode(params) {
    const { rpi, aem } = decodeAdvertisement(hexParam(params, "ad"));
    return { rpi: rpi.toString("hex"), aem: aem.toString("hex") };
  },
  match,
  score_v2, // IOP-27
  // The Merkle ops of the transparency log; export files and signed notes are left out
  // (not listed in hello, so the suite reports their tests unsupported).
  leaf_hash(params) {
    return { leaf_hash: leafHash(hexParam(params, "leaf_data")).toString("hex") };
  },
  tree_hash(params) {
    return { root_hash: treeHash(hexListParam(params, "leaves").map(leafHash)).toString("hex") };
  },
  inclusion_verify: verifyInclusion,
  consistency_verify: verifyConsistency,
  recursive_keys, // IOP-42
  resolve_keys, // IOP-43
  exposure_level, // IOP-44
  level_change, // IOP-45
};

// ---- framing (IOP-2..IOP-7) ----

function errorAnswer(id, code, message, detail) {
  const error = { code, message };
  if (detail) error.detail = detail;
  return { id, error };
}

function answer(line) {
  let request;
  try {
    request = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
  } catch {
    return errorAnswer(null, "invalid_input", "request line is not a UTF-8 JSON object");
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return errorAnswer(null, "invalid_input", "request is not a JSON object");
  }
  const id = Number.isInteger(request.id) ? request.id : null;
  if (id === null) return errorAnswer(null, "invalid_input", "request has no integer id");
  const params = request.params === undefined ? {} : request.params;
  if (typeof request.op !== "string" || params === null || typeof params !== "object" || Array.isArray(params)) {
    return errorAnswer(id, "invalid_input", "request needs a string op and object params");
  }
  if (request.op === "hello") {
    return { id, result: { implementation: IMPLEMENTATION, version: VERSION, ops: ["hello", ...Object.keys(OPS)] } };
  }
  if (!Object.hasOwn(OPS, request.op)) return errorAnswer(id, "unsupported", `op ${request.op} is not implemented`);
  try {
    return { id, result: OPS[request.op](params) };
  } catch (err) {
    if (err instanceof InputError) return errorAnswer(id, "invalid_input", err.message, err.detail);
    return errorAnswer(id, "internal", String(err));
  }
}

// Split a byte stream into lines and answer each one, in order.
function serve(input, write) {
  let pending = Buffer.alloc(0);
  let skipping = false;
  const handle = (line) => write(JSON.stringify(answer(line)) + "\n");
  input.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let end;
    while ((end = pending.indexOf(0x0a)) !== -1) {
      const line = pending.subarray(0, end);
      pending = pending.subarray(end + 1);
      if (skipping) {
        skipping = false;
        continue;
      }
      handle(line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
    }
    if (pending.length > MAX_LINE_BYTES) {
      // IOP-2: an over-long line is answered once and skipped.
      handle(Buffer.alloc(0));
      pending = Buffer.alloc(0);
      skipping = true;
    }
  });
  input.on("end", () => {
    if (pending.length > 0 && !skipping) handle(pending);
  });
}

function main(argv) {
  if (argv.length === 2 && argv[0] === "--listen") {
    const cut = argv[1].lastIndexOf(":");
    const host = argv[1].slice(0, cut) || "127.0.0.1";
    const server = net.createServer((socket) => {
      serve(socket, (text) => socket.write(text));
      socket.on("error", () => socket.destroy());
    });
    server.listen(Number(argv[1].slice(cut + 1)), host, () => {
      const address = server.address();
      process.stderr.write(`listening on ${address.address}:${address.port}\n`);
    });
    return;
  }
  serve(process.stdin, (text) => process.stdout.write(text));
}

main(process.argv.slice(2));
