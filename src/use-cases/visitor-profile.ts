import { isbot } from 'isbot';
// The default import (module.exports, the UAParser constructor) works in every loader: Node, the
// Workers bundle, and workerd's test runner, which cannot see the UMD build's named export.
import UAParser from 'ua-parser-js';

export interface VisitorProfile {
  browser: string;
  os: string;
  device: string;
  isBot: boolean;
}

const MAX_ENTRIES = 10_000;
const cache = new Map<string, VisitorProfile>();

/**
 * Browser, OS, device type and bot flag from a User-Agent. Parsing costs ~60 µs, more than the
 * rest of the redirect, and real traffic repeats a few thousand distinct agents, so results are
 * memoised per agent string.
 */
export function visitorProfile(userAgent: string): VisitorProfile {
  const hit = cache.get(userAgent);
  if (hit) return hit;
  const parsed = new UAParser(userAgent).getResult();
  const profile: VisitorProfile = {
    browser: parsed.browser.name ?? '',
    os: parsed.os.name ?? '',
    // ua-parser-js leaves desktop browsers without a device type.
    device: parsed.device.type ?? (parsed.browser.name ? 'desktop' : ''),
    isBot: userAgent === '' || isbot(userAgent),
  };
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(userAgent, profile);
  return profile;
}
