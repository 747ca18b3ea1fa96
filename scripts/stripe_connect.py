"""Stripe Connect for the fake Stripe (scripts/stripe-peer.py), after
Stripe's API reference: connected accounts and their onboarding; requests
made as an account (`Stripe-Account`): Checkout Sessions and their hosted
page, whose payment makes a PaymentIntent and a Charge on the account and an
ApplicationFee on the platform, refunds and disputes; and Connect's events,
signed and sent to the endpoints the tests register. An object belongs to
the account that made it: to any other it is missing, as on Stripe. The
pages and test helpers are under `/_tenantry/` (TENANTRY_ROUTES).
localstripe's own events and `/_config/webhooks` are left alone.
"""

import asyncio
import copy
import hashlib
import hmac
import html
import json
import random
import re
import string
import time
from urllib.parse import urlparse

import aiohttp
from aiohttp import web
from localstripe import server
from localstripe.errors import UserError

API_VERSION = '2024-06-20'
PLATFORM_NAME = 'Tenantry test platform'
DUE = ['business_profile.url', 'external_account', 'tos_acceptance.date']
BACKOFF = [0.3, 0.6, 1.2, 2.4, 4.8]  # the wait before each retry

ACCOUNTS = {}  # id -> account; deleting an account removes it
DEAUTHORIZED = set()  # accounts that disconnected from the platform
LINKS = {}  # account link token -> its state
OBJECTS = {}  # id -> (owning account, None for the platform; the object)
PRIVATE = {}  # checkout session id -> what the session object does not show
EVENTS = []  # every event, oldest first
DELIVERIES = {}  # event id -> endpoint id -> what its deliveries did
ENDPOINTS = {}  # id -> Endpoint


def new_id(prefix, length=24):
    alphabet = string.ascii_letters + string.digits
    return prefix + ''.join(random.choice(alphabet) for _ in range(length))


APPLICATION = {'id': new_id('ca_', 32), 'object': 'application',
               'name': PLATFORM_NAME}


def now():
    return int(time.time())


# --- errors and parameters ---------------------------------------------------

def error(status, message, param=None, code=None):
    """Stripe's error body, shaped by localstripe's UserError."""
    contents = {'code': code} if code else {}
    if param:
        contents['param'] = param
    return UserError(status, message, contents)


def missing(kind, id, param='id'):
    return error(404, "No such %s: '%s'" % (kind, id), param,
                 'resource_missing')


async def form(request):
    data = await server.get_post_data(request) or {}
    if not isinstance(data, dict):
        raise error(400, 'Invalid request body')
    return data


def integer(value, param, minimum):
    if value is None:
        raise error(400, 'Missing required param: %s.' % param, param,
                    'parameter_missing')
    if isinstance(value, bool) or not re.match(r'^-?\d+$', str(value)):
        raise error(400, 'Invalid integer: %s' % (value,), param)
    if int(value) < minimum:
        raise error(400, 'This value must be greater than or equal to %d.'
                    % minimum, param)
    return int(value)


def absolute_url(value, param):
    parts = urlparse(value if isinstance(value, str) else '')
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise error(400, 'Not a valid URL: %s' % (value,), param,
                    'url_invalid')
    return value


def merged_metadata(current, update, param='metadata'):
    """Stripe merges metadata; an empty value removes its key."""
    if update == '':
        return {}
    if not isinstance(update, dict):
        raise error(400, 'Invalid object', param)
    merged = dict(current, **{k: str(v) for k, v in update.items()})
    return {k: v for k, v in merged.items() if v != ''}


# --- connected accounts ------------------------------------------------------

def apply_account_params(account, data):
    profile = data.get('business_profile') or {}
    for key in ('name', 'url'):
        if key in profile:
            account['business_profile'][key] = profile[key] or None
    branding = (data.get('settings') or {}).get('branding') or {}
    for key in ('primary_color', 'secondary_color'):
        if key in branding:
            color = branding[key] or None
            if color and not re.match(r'^#[0-9a-fA-F]{6}$', str(color)):
                raise error(400, 'Invalid hex color: %s' % color,
                            'settings[branding][%s]' % key)
            account['settings']['branding'][key] = color
    if 'email' in data:
        account['email'] = data['email'] or None
    if 'metadata' in data:
        account['metadata'] = merged_metadata(account['metadata'],
                                              data['metadata'])


def find_account(id, param='id'):
    if id not in ACCOUNTS:
        raise missing('account', id, param)
    return ACCOUNTS[id]


async def create_account(request):
    data = await form(request)
    kind = data.get('type', 'standard')
    if kind not in ('standard', 'express', 'custom'):
        raise error(400, 'Invalid type: must be one of standard, express or '
                    'custom', 'type')
    account = {
        'id': new_id('acct_', 16), 'object': 'account', 'type': kind,
        'country': str(data.get('country', 'US')).upper(), 'email': None,
        'business_profile': {'name': None, 'url': None},
        'settings': {'branding': {'primary_color': None, 'icon': None,
                                  'secondary_color': None, 'logo': None}},
        'details_submitted': False, 'charges_enabled': False,
        'payouts_enabled': False,
        'requirements': {'currently_due': list(DUE),
                         'eventually_due': list(DUE), 'past_due': [],
                         'disabled_reason': 'requirements.past_due'},
        'metadata': {}, 'created': now(),
    }
    apply_account_params(account, data)
    ACCOUNTS[account['id']] = account
    return server.json_response(account)


async def retrieve_account(request):
    return server.json_response(find_account(request.match_info['id']))


async def update_account(request):
    account = find_account(request.match_info['id'])
    updated = copy.deepcopy(account)  # nothing changes unless all is valid
    apply_account_params(updated, await form(request))
    ACCOUNTS[account['id']] = updated
    emit('account.updated', updated, updated['id'])
    return server.json_response(updated)


async def delete_account(request):
    account = find_account(request.match_info['id'])
    del ACCOUNTS[account['id']]
    return server.json_response({'id': account['id'], 'object': 'account',
                                 'deleted': True})


# --- account links and the onboarding page -----------------------------------

async def create_account_link(request):
    data = await form(request)
    if not data.get('account'):
        raise error(400, 'Missing required param: account.', 'account',
                    'parameter_missing')
    account = find_account(data['account'], 'account')
    refresh_url = absolute_url(data.get('refresh_url'), 'refresh_url')
    return_url = absolute_url(data.get('return_url'), 'return_url')
    if data.get('type') not in ('account_onboarding', 'account_update'):
        raise error(400, 'Invalid type: must be one of account_onboarding or '
                    'account_update', 'type')
    token, created = new_id('', 32), now()
    LINKS[token] = {'account': account['id'], 'refresh_url': refresh_url,
                    'return_url': return_url, 'expires_at': created + 300,
                    'visited': False, 'submitted': False}
    return server.json_response({
        'object': 'account_link', 'created': created,
        'expires_at': created + 300, 'url': '%s://%s/_tenantry/onboarding/%s'
        % (request.scheme, request.host, token)})


def redirect(location, status):
    return web.Response(status=status, headers={'Location': location})


def page(title, body, status=200):
    return web.Response(status=status, content_type='text/html', text=(
        '<!doctype html><html><head><meta charset="utf-8"><title>%s</title>'
        '</head><body style="font-family: sans-serif; max-width: 32em; '
        'margin: 3em auto">%s</body></html>') % (html.escape(title), body))


async def onboarding(request, token):
    link = LINKS.get(token)
    if link is None or link['account'] not in ACCOUNTS:
        return page('Stripe onboarding (test)', '<p>Unknown link</p>', 404)
    # A link is single use, as on Stripe: once visited or expired it sends
    # the user to refresh_url for a new one. The form of the visit may still
    # be submitted, once.
    used = link['submitted'] or (request.method == 'GET' and link['visited'])
    if used or now() >= link['expires_at']:
        return redirect(link['refresh_url'],
                        303 if request.method == 'POST' else 302)
    account = ACCOUNTS[link['account']]
    if request.method == 'GET':
        link['visited'] = True
        return page('Stripe onboarding (test)', (
            '<h1>Stripe onboarding (test)</h1>'
            '<p>Account <code data-testid="onboarding-account">%s</code></p>'
            '<form method="post">'
            '<button type="submit" data-testid="onboarding-submit">'
            'Submit details</button></form>'
            '<p><a data-testid="onboarding-leave" href="%s">Leave</a></p>') % (
            html.escape(account['id']), html.escape(link['refresh_url'])))
    link['submitted'] = True
    account.update(details_submitted=True, charges_enabled=True,
                   payouts_enabled=True)
    account['requirements'] = {'currently_due': [], 'eventually_due': [],
                               'past_due': [], 'disabled_reason': None}
    emit('account.updated', account, account['id'])
    return redirect(link['return_url'], 303)


# --- the objects of an account -----------------------------------------------

def acting_account(request):
    """The account of the Stripe-Account header, None for the platform."""
    return request.headers.get('Stripe-Account') or None


def store(owner, obj):
    OBJECTS[obj['id']] = (owner, obj)
    return obj


def owned(kind, id, owner, param='id'):
    """An object of `owner`; another account's object answers as missing."""
    entry = OBJECTS.get(id)
    if entry is None or entry[0] != owner or entry[1]['object'] != kind:
        raise missing(kind, id, param)
    return entry[1]


LOCALSTRIPE_TOO = ('payment_intent', 'charge', 'refund')
OWNED_READS = re.compile(r'^/v1/(payment_intent|charge|refund|dispute|'
                         r'application_fee|checkout/session)s/([^/]+)$')


@web.middleware
async def connect_middleware(request, handler):
    if not request.path.startswith('/v1/'):
        return await handler(request)
    account = acting_account(request)
    if account and (account not in ACCOUNTS or account in DEAUTHORIZED):
        raise error(403, "The provided key does not have access to account "
                    "'%s' (or that account does not exist). Application "
                    "access may have been revoked." % account,
                    code='account_invalid')
    # localstripe serves some of these paths too: it keeps the platform's
    # own objects, this the Connect ones and all that is asked as an account.
    read = OWNED_READS.match(request.path)
    if read and request.method == 'GET' and (account or read[2] in OBJECTS or
                                             read[1] not in LOCALSTRIPE_TOO):
        kind = read[1].replace('/', '.')
        return server.json_response(owned(kind, read[2], account))
    if request.path == '/v1/refunds' and request.method == 'POST':
        data = await form(request)
        target = data.get('payment_intent') or data.get('charge')
        if account or (isinstance(target, str) and target in OBJECTS):
            return await create_refund(request)
    return await handler(request)


# --- checkout ----------------------------------------------------------------

def line_item(item, i):
    param = 'line_items[%d][price_data]' % i
    price = item.get('price_data') if isinstance(item, dict) else None
    if not isinstance(price, dict):
        raise error(400, 'Missing required param: %s.' % param, param,
                    'parameter_missing')
    if not re.match(r'^[a-z]{3}$', str(price.get('currency'))):
        raise error(400, 'Invalid currency: %s' % price.get('currency'),
                    param + '[currency]')
    name = (price.get('product_data') or {}).get('name')
    if not name:
        raise error(400, 'Missing required param: %s[product_data][name].'
                    % param, param + '[product_data][name]',
                    'parameter_missing')
    return {'name': name, 'currency': price['currency'],
            'unit_amount': integer(price.get('unit_amount'),
                                   param + '[unit_amount]', 1),
            'quantity': integer(item.get('quantity', 1),
                                'line_items[%d][quantity]' % i, 1)}


async def create_checkout_session(request):
    account = acting_account(request)
    data = await form(request)
    if data.get('mode') != 'payment':
        raise error(400, 'This test peer supports only mode=payment.', 'mode')
    items = data.get('line_items')
    if not isinstance(items, list) or not items:
        raise error(400, 'Missing required param: line_items.', 'line_items',
                    'parameter_missing')
    items = [line_item(item, i) for i, item in enumerate(items)]
    if len({item['currency'] for item in items}) > 1:
        raise error(400, 'All line items must have the same currency.',
                    'line_items')
    total = sum(item['unit_amount'] * item['quantity'] for item in items)
    intent_data = data.get('payment_intent_data') or {}
    fee = intent_data.get('application_fee_amount')
    fee_param = 'payment_intent_data[application_fee_amount]'
    if fee is not None:
        fee = integer(fee, fee_param, 0)
        if fee > total:
            raise error(400, 'The application fee (%d) cannot be more than '
                        'the amount of the payment (%d).' % (fee, total),
                        fee_param)
        if account is None:
            raise error(400, 'Can only apply an application_fee_amount to a '
                        'payment made as a connected account (with the '
                        'Stripe-Account header).', fee_param)
    success_url = absolute_url(data.get('success_url'), 'success_url')
    cancel_url = absolute_url(data['cancel_url'], 'cancel_url') \
        if data.get('cancel_url') else None
    if account and not ACCOUNTS[account]['charges_enabled']:
        raise error(400, 'This account cannot currently make live charges.',
                    code='account_invalid')
    created = now()
    session = store(account, {
        'id': new_id('cs_test_'), 'object': 'checkout.session',
        'mode': 'payment', 'status': 'open', 'payment_status': 'unpaid',
        'amount_subtotal': total, 'amount_total': total,
        'currency': items[0]['currency'], 'payment_intent': None,
        'client_reference_id': data.get('client_reference_id'),
        'customer_email': data.get('customer_email'),
        'customer_details': None,
        'metadata': merged_metadata({}, data.get('metadata', {})),
        'success_url': success_url, 'cancel_url': cancel_url,
        'url': '%s://%s/_tenantry/checkout/' % (request.scheme, request.host),
        'livemode': False, 'created': created,
        'expires_at': created + 24 * 3600})
    session['url'] += session['id']
    PRIVATE[session['id']] = {'items': items, 'fee': fee,
                              'metadata': merged_metadata(
                                  {}, intent_data.get('metadata', {}),
                                  'payment_intent_data[metadata]')}
    return server.json_response(session)


def money(amount, currency):
    number = '%d.%02d' % divmod(amount, 100)
    symbol = {'eur': '\u20ac', 'usd': '$'}.get(currency)
    return symbol + number if symbol else '%s %s' % (number, currency.upper())


async def checkout(request, session_id):
    owner, session = OBJECTS.get(session_id, (None, None))
    if not session or session['object'] != 'checkout.session' or \
            (owner and owner not in ACCOUNTS):
        return page('Checkout (test)', '<p>Unknown session</p>', 404)
    if session['status'] == 'complete':  # paying twice changes nothing
        return page('Checkout (test)', '<p data-testid="checkout-done">This '
                    'payment is already complete.</p>',
                    409 if request.method == 'POST' else 200)
    if request.method == 'POST':
        email = (await request.post()).get('email')
        pay(owner, session, email or session['customer_email'])
        return redirect(session['success_url'].replace(
            '{CHECKOUT_SESSION_ID}', session['id']), 303)
    # The page speaks for the merchant: the connected account, never the
    # platform (not even in a path: the form posts to the page's own URL),
    # unless the platform sells for itself.
    merchant = ACCOUNTS[owner] if owner else {}
    name = merchant['business_profile']['name'] or owner if owner \
        else PLATFORM_NAME
    color = owner and merchant['settings']['branding']['primary_color'] or \
        '#635bff'
    items = ''.join('<li data-testid="checkout-item">%s</li>' % html.escape(
        item['name']) for item in PRIVATE[session_id]['items'])
    cancel = ('<p><a data-testid="checkout-cancel" href="%s">Cancel</a></p>'
              % html.escape(session['cancel_url'])
              if session['cancel_url'] else '')
    return page('Checkout (test)', (
        '<h1 data-testid="checkout-merchant">%s</h1>'
        '<p>Colour <span data-testid="checkout-color">%s</span></p>'
        '<ul>%s</ul><p data-testid="checkout-amount">%s</p>'
        '<form method="post">'
        '<label>Email <input type="email" name="email" value="%s"></label> '
        '<button type="submit" data-testid="checkout-pay" style="background: '
        '%s; color: white">Pay</button></form>%s') % (
        html.escape(name), html.escape(color), items,
        html.escape(money(session['amount_total'], session['currency'])),
        html.escape(session['customer_email'] or ''),
        html.escape(color), cancel))


def pay(owner, session, email):
    """Paying makes a PaymentIntent and a Charge on the session's account,
    and the platform's ApplicationFee when the session asked for one."""
    amount, currency = session['amount_total'], session['currency']
    fee_amount, metadata = (PRIVATE[session['id']][k]
                            for k in ('fee', 'metadata'))
    common = {'amount': amount, 'currency': currency, 'status': 'succeeded',
              'application_fee_amount': fee_amount, 'receipt_email': email,
              'livemode': False, 'created': now()}
    intent = store(owner, dict(
        common, id=new_id('pi_'), object='payment_intent',
        amount_received=amount, metadata=dict(metadata)))
    charge = store(owner, dict(
        common, id=new_id('ch_'), object='charge', amount_captured=amount,
        amount_refunded=0, refunded=False, disputed=False, paid=True,
        captured=True, payment_intent=intent['id'], application_fee=None,
        metadata=dict(metadata)))
    intent['latest_charge'] = charge['id']
    fee = None
    if fee_amount:
        fee = store(None, {
            'id': new_id('fee_'), 'object': 'application_fee',
            'account': owner, 'amount': fee_amount, 'amount_refunded': 0,
            'refunded': False, 'charge': charge['id'], 'currency': currency,
            'originating_transaction': None, 'livemode': False,
            'created': common['created']})
        charge['application_fee'] = fee['id']
    session.update(status='complete', payment_status='paid',
                   payment_intent=intent['id'],
                   customer_details={'email': email})
    # Stripe's usual order; the fee's event goes to the platform endpoints.
    emit('charge.succeeded', charge, owner)
    emit('payment_intent.succeeded', intent, owner)
    emit('checkout.session.completed', session, owner)
    if fee:
        emit('application_fee.created', fee)


# --- refunds, application fees, disputes -------------------------------------

async def create_refund(request):
    account = acting_account(request)
    data = await form(request)
    if bool(data.get('payment_intent')) == bool(data.get('charge')):
        raise error(400, 'Pass one of charge or payment_intent.', 'charge')
    if data.get('payment_intent'):
        intent = owned('payment_intent', data['payment_intent'], account,
                       'payment_intent')
        charge = OBJECTS[intent['latest_charge']][1]
    else:
        charge = owned('charge', data['charge'], account, 'charge')
    remaining = charge['amount'] - charge['amount_refunded']
    if remaining <= 0:
        raise error(400, 'Charge %s has already been refunded.' % charge['id'],
                    code='charge_already_refunded')
    if charge['disputed']:
        raise error(400, 'Charge %s has been charged back.' % charge['id'],
                    code='charge_disputed')
    amount = integer(data.get('amount', remaining), 'amount', 1)
    if amount > remaining:
        raise error(400, 'Refund amount (%d) is greater than unrefunded '
                    'amount on charge (%d)' % (amount, remaining), 'amount',
                    'amount_too_large')
    refund_fee = str(data.get('refund_application_fee', 'false')).lower()
    if refund_fee not in ('true', 'false'):
        raise error(400, 'Invalid boolean: %s' % refund_fee,
                    'refund_application_fee')
    refund = store(account, {
        'id': new_id('re_'), 'object': 'refund', 'amount': amount,
        'charge': charge['id'], 'payment_intent': charge['payment_intent'],
        'currency': charge['currency'], 'status': 'succeeded',
        'reason': data.get('reason'), 'created': now(),
        'metadata': merged_metadata({}, data.get('metadata', {}))})
    charge['amount_refunded'] += amount
    charge['refunded'] = charge['amount_refunded'] == charge['amount']
    emit('refund.created', refund, account)
    emit('charge.refunded', charge, account)
    fee = OBJECTS.get(charge['application_fee'], (None, None))[1]
    if refund_fee == 'true' and fee:
        # As on Stripe: the fee goes back in proportion to the refund, and
        # all that is left of it once the charge is refunded in full.
        back = fee['amount'] - fee['amount_refunded'] if charge['refunded'] \
            else fee['amount'] * amount // charge['amount']
        if back > 0:
            fee['amount_refunded'] += back
            fee['refunded'] = fee['amount_refunded'] == fee['amount']
            emit('application_fee.refunded', fee)
    return server.json_response(refund)


async def list_application_fees(request):
    owner, charge = acting_account(request), request.query.get('charge')
    fees = [obj for who, obj in reversed(OBJECTS.values())  # newest first
            if obj['object'] == 'application_fee' and who == owner and
            charge in (None, obj['charge'])]
    return server.json_response({'object': 'list', 'data': fees,
                                 'has_more': False,
                                 'url': '/v1/application_fees'})


async def create_dispute(request):
    data = await json_body(request)
    owner, charge = OBJECTS.get(str(data.get('charge')), (None, None))
    if not charge or charge['object'] != 'charge':
        raise missing('charge', data.get('charge'), 'charge')
    if charge['disputed']:
        raise error(400, 'Charge %s is already disputed.' % charge['id'],
                    'charge')
    charge['disputed'] = True
    dispute = store(owner, {
        'id': new_id('dp_'), 'object': 'dispute', 'amount': charge['amount'],
        'charge': charge['id'], 'payment_intent': charge['payment_intent'],
        'currency': charge['currency'], 'reason': 'fraudulent',
        'status': 'needs_response', 'livemode': False, 'created': now()})
    emit('charge.dispute.created', dispute, owner)
    return server.json_response(dispute)


# --- events and their delivery -----------------------------------------------

class Endpoint:
    """A webhook endpoint with its own queue, so its events go in order."""

    def __init__(self, url, secret, connect):
        self.id = new_id('we_')
        self.url, self.secret, self.connect = url, secret, connect
        self.queue = asyncio.Queue()
        self.worker = asyncio.ensure_future(self.deliver_forever())

    async def deliver_forever(self):
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                await self.deliver(http, await self.queue.get())

    async def deliver(self, http, event):
        record = DELIVERIES[event['id']][self.id]
        body = json.dumps(event, indent=2).encode()
        for wait in [0] + BACKOFF:
            await asyncio.sleep(wait)
            stamp = now()
            signature = hmac.new(self.secret.encode(), b'%d.%s' % (
                stamp, body), hashlib.sha256).hexdigest()
            record['attempts'] += 1
            try:
                async with http.post(self.url, data=body, headers={
                        'Content-Type': 'application/json',
                        'Stripe-Signature': 't=%d,v1=%s' % (stamp, signature),
                }) as answer:
                    record.update(last_status=answer.status, last_error=None)
                    if 200 <= answer.status < 300:
                        record['delivered'] += 1
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                record.update(last_status=None,
                              last_error='%s: %s' % (type(e).__name__, e))


def emit(kind, obj, account=None):
    """Records an event about `obj`, a Connect event when `account` is set,
    and queues it for its endpoints."""
    event = {'id': new_id('evt_'), 'object': 'event',
             'api_version': API_VERSION, 'created': now(), 'livemode': False,
             'pending_webhooks': 1, 'type': kind,
             'data': {'object': copy.deepcopy(obj)},
             'request': {'id': None, 'idempotency_key': None}}
    if account:
        event['account'] = account
    EVENTS.append(event)
    DELIVERIES[event['id']] = {}
    # Queued on the loop's next turn: the request that caused the event has
    # written its answer by then, so no webhook overtakes that answer.
    asyncio.get_running_loop().call_soon(enqueue, event)
    return event


def enqueue(event):
    """Connect events go to the `connect` endpoints, the platform's events
    to the others, as Stripe's `connect` flag on an endpoint does."""
    targets = [e for e in ENDPOINTS.values()
               if e.connect == ('account' in event)]
    for endpoint in targets:
        DELIVERIES[event['id']].setdefault(endpoint.id, {
            'endpoint': endpoint.id, 'url': endpoint.url, 'attempts': 0,
            'delivered': 0, 'last_status': None, 'last_error': None})
        endpoint.queue.put_nowait(event)
    return [endpoint.id for endpoint in targets]


# --- the tests' helpers under /_tenantry/ ------------------------------------

async def json_body(request):
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise error(400, 'The body must be a JSON object')
    return data


async def set_requirements(request, id):
    """Makes an account need something again (or no longer)."""
    account = find_account(id)
    data = await json_body(request)
    due = list(data.get('currently_due', []))
    enabled = bool(data.get('charges_enabled', not due))
    account.update(charges_enabled=enabled, payouts_enabled=bool(
        data.get('payouts_enabled', enabled)), requirements={
        'currently_due': due, 'eventually_due': list(due),
        'past_due': list(data.get('past_due', [])),
        'disabled_reason': None if enabled else 'requirements.past_due'})
    emit('account.updated', account, id)
    return server.json_response(account)


async def deauthorize(request, id):
    find_account(id)
    DEAUTHORIZED.add(id)
    return server.json_response(emit('account.application.deauthorized',
                                     APPLICATION, id))


async def add_endpoint(request):
    data = await json_body(request)
    absolute_url(data.get('url'), 'url')
    if not str(data.get('secret')).startswith('whsec_'):
        raise error(400, 'The secret must start with whsec_', 'secret')
    endpoint = Endpoint(data['url'], data['secret'], bool(data.get('connect')))
    ENDPOINTS[endpoint.id] = endpoint
    return server.json_response({
        'id': endpoint.id, 'object': 'webhook_endpoint', 'url': endpoint.url,
        'secret': endpoint.secret, 'connect': endpoint.connect})


async def list_events(request):
    """Every event, oldest first, with its deliveries to each endpoint."""
    return server.json_response([
        dict(event, deliveries=list(DELIVERIES[event['id']].values()))
        for event in EVENTS])


async def resend_event(request, id):
    event = next((e for e in EVENTS if e['id'] == id), None)
    if event is None:
        raise missing('event', id)
    return server.json_response({'id': id, 'endpoints': enqueue(event)})


TENANTRY_ROUTES = [
    ('GET', r'/_tenantry/onboarding/([^/]+)', onboarding),
    ('POST', r'/_tenantry/onboarding/([^/]+)', onboarding),
    ('GET', r'/_tenantry/checkout/([^/]+)', checkout),
    ('POST', r'/_tenantry/checkout/([^/]+)', checkout),
    ('POST', r'/_tenantry/accounts/([^/]+)/requirements', set_requirements),
    ('POST', r'/_tenantry/accounts/([^/]+)/deauthorize', deauthorize),
    ('POST', r'/_tenantry/disputes', create_dispute),
    ('POST', r'/_tenantry/webhook_endpoints', add_endpoint),
    ('GET', r'/_tenantry/events', list_events),
    ('POST', r'/_tenantry/events/([^/]+)/resend', resend_event),
]


async def tenantry(request):
    """Answers this module's /_tenantry/ paths, None for the others. They
    are served ahead of localstripe's middlewares, so errors are turned into
    answers here."""
    for method, pattern, handler in TENANTRY_ROUTES:
        match = re.fullmatch(pattern, request.path)
        if match and request.method == method:
            try:
                return await handler(request, *match.groups())
            except UserError as e:
                return e.to_response()
    return None


def install(app):
    """Adds the routes, and the middleware after localstripe's own (so after
    its authentication), to localstripe's app."""
    app.middlewares.append(connect_middleware)
    app.router.add_post('/v1/accounts', create_account)
    app.router.add_get('/v1/accounts/{id}', retrieve_account)
    app.router.add_post('/v1/accounts/{id}', update_account)
    app.router.add_delete('/v1/accounts/{id}', delete_account)
    app.router.add_post('/v1/account_links', create_account_link)
    app.router.add_post('/v1/checkout/sessions', create_checkout_session)
    app.router.add_get('/v1/application_fees', list_application_fees)
