import { describe, expect, it } from 'vitest';
import { checkLandingUrl, fillQueryParam, normalizeAllowedDomain, queryParamSlot } from '../../src/domain/landing-url';

const appendQueryParam = (url: string, name: string, value: string) => fillQueryParam(queryParamSlot(url, name), value);
import { cleanSubId, mergeSubIds } from '../../src/domain/sub-id';

const allowed = ['shop.example', 'www.shop.example'];

describe('landing URLs stay on the allowed domains (P14)', () => {
  it.each([
    'https://shop.example/',
    'https://shop.example/p/42?color=red#reviews',
    'http://www.shop.example/sale',
    'https://SHOP.example/Path',
    'https://shop.example:443/',
  ])('accepts %s', (url) => {
    expect(checkLandingUrl(url, allowed).ok).toBe(true);
  });

  it.each([
    ['//evil.example', 'not_a_url'],
    ['/relative/path', 'not_a_url'],
    ['evil.example', 'not_a_url'],
    ['https://shop.example@evil.example/', 'has_credentials'],
    ['https://user:pw@shop.example/', 'has_credentials'],
    ['https://shop.example.evil.example/', 'host_not_allowed'],
    ['https://evil.example/?shop.example', 'host_not_allowed'],
    ['https://evil.example/#shop.example', 'host_not_allowed'],
    ['https://evilshop.example/', 'host_not_allowed'],
    ['https://sub.shop.example/', 'host_not_allowed'],
    ['https://shоp.example/', 'host_not_allowed'], // Cyrillic о: punycode xn--shp-…
    ['https://shop.examp1e/', 'host_not_allowed'],
    ['https://shop.example:8443/', 'host_not_allowed'],
    ['https:\\\\evil.example', 'host_not_allowed'],
    ['https:/\\evil.example', 'host_not_allowed'],
    ['https://evil.example\\@shop.example/', 'host_not_allowed'],
    ['https://shop.example%2eevil.example/', 'host_not_allowed'],
    ['javascript:alert(1)//shop.example', 'bad_scheme'],
    ['data:text/html,<script>', 'bad_scheme'],
    ['ftp://shop.example/', 'bad_scheme'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(checkLandingUrl(url, allowed)).toEqual({ ok: false, reason });
  });

  it('refuses URLs longer than 2048 characters', () => {
    expect(checkLandingUrl(`https://shop.example/${'a'.repeat(2100)}`, allowed)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('normalises allowed domains to exact hosts, IDN to punycode', () => {
    expect(normalizeAllowedDomain('Shop.Example')).toBe('shop.example');
    expect(normalizeAllowedDomain('shop.example:8443')).toBe('shop.example:8443');
    expect(normalizeAllowedDomain('bücher.example')).toBe('xn--bcher-kva.example');
    for (const bad of [
      'https://shop.example',
      'shop.example/path',
      'a@b.example',
      '*.shop.example',
      'localhost:99999',
      'nodot',
    ]) {
      expect(normalizeAllowedDomain(bad)).toBeUndefined();
    }
  });

  it('appends the click id keeping the query text and fragment as they were', () => {
    expect(appendQueryParam('https://shop.example/p?q=a%20b&x=+#top', 'clid', 'abc')).toBe(
      'https://shop.example/p?q=a%20b&x=+&clid=abc#top',
    );
    expect(appendQueryParam('https://shop.example/', 'clid', 'a_b-c')).toBe('https://shop.example/?clid=a_b-c');
    expect(appendQueryParam('https://shop.example/?', 'clid', 'x')).toBe('https://shop.example/?clid=x');
    expect(appendQueryParam('https://shop.example/?a=1&', 'clid', 'x y')).toBe('https://shop.example/?a=1&clid=x%20y');
  });

  it('fills one slot with many values, each as if appended alone', () => {
    const slot = queryParamSlot('https://shop.example/p?color=red#reviews', 'clid');
    expect(fillQueryParam(slot, 'one')).toBe('https://shop.example/p?color=red&clid=one#reviews');
    expect(fillQueryParam(slot, 'two&x=1')).toBe('https://shop.example/p?color=red&clid=two%26x%3D1#reviews');
  });
});

describe('sub-ids', () => {
  it('drops control characters so nothing can split a header', () => {
    expect(cleanSubId('spring\r\nSet-Cookie: x=1')).toBe('springSet-Cookie: x=1');
    expect(cleanSubId('\u0000\u0007')).toBeUndefined();
    expect(cleanSubId('x'.repeat(500))).toHaveLength(128);
  });

  it("lets the tracking URL's sub-ids override the link's", () => {
    expect(mergeSubIds({ sub1: 'link', sub2: 'keep' }, { sub1: 'url', sub3: 'new' })).toEqual({
      sub1: 'url',
      sub2: 'keep',
      sub3: 'new',
    });
  });
});
