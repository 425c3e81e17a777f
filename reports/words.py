"""Report figures in words a marketer reads, in English and Chinese: vendors, stages, loss
reasons and trace steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pushclient.callbacks import PLATFORMS

# The order the report lists vendors in (spec §3.5 PushPlatform), "Unknown" last.
VENDOR_ORDER = [1, 4, 3, 2, 6, 7, 8, 5, 0]
VENDOR_NAMES = {0: _("Unknown vendor"), 1: "APNs", 2: _("Xiaomi"), 3: _("Huawei"), 4: "FCM",
                5: _("Meizu"), 6: "OPPO", 7: "vivo", 8: _("Honor")}

# Tencent's loss reasons are named in its pages (§3.5: "device token never uploaded",
# "certificate not set", "unregistered token"), their codes are not [UNCERTAIN]: a reason is
# recognised by its words, and anything else is shown as Tencent wrote it.
REASONS = [
    ("no_token", ("never uploaded", "no token", "token not uploaded", "token is empty"),
     _("the device never uploaded a push token (the app did not register for push)")),
    ("no_certificate", ("certificate", "cert not", "no cert"),
     _("certificate not set in the Tencent console for this vendor")),
    ("unregistered", ("unregistered", "invalid token", "token invalid", "not registered"),
     _("the push token is no longer valid (the app was uninstalled or reinstalled)")),
    ("notifications_off", ("permission", "disabled", "switched off", "turned off"),
     _("notifications are turned off for the app on the device")),
    ("expired", ("expired", "offline too long", "ttl"),
     _("the message expired before the device came online")),
    ("vendor_limit", ("quota", "frequency", "limit"),
     _("the vendor's daily limit for this app was reached")),
]


def vendor_name(platform: int) -> str:
    return str(VENDOR_NAMES.get(platform, PLATFORMS.get(platform, str(platform))))


def reason_code(err_code: int, err_info: str) -> str:
    text = (err_info or "").lower()
    for code, markers, _words in REASONS:
        if any(marker in text for marker in markers):
            return code
    return f"tencent_{err_code}"


def reason_words(err_code: int, err_info: str) -> str:
    code = reason_code(err_code, err_info)
    for known, _markers, words in REASONS:
        if known == code:
            return str(words)
    return str(_("Tencent says: %(info)s (error %(code)s)") % {
        "info": err_info or "—", "code": err_code})
