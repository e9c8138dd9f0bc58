"""Factur-X / ZUGFeRD: the EN 16931 (CII) XML of an invoice copy, checked against its
schema and embedded in the PDF/A-3, so German and French AP systems can book it."""

from __future__ import annotations

from decimal import Decimal

from facturx import generate_from_binary, xml_check_xsd
from lxml import etree

from bot.documents.content import InvoiceCopy
from bot.ledger.models import Customer
from bot.settings import DocumentSettings

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931 = "urn:cen.eu:en16931:2017"
# The ledger records no VAT: the XML says so (category E, 0 %) rather than invent a rate.
NO_VAT_REASON = "VAT not recorded on this invoice in the seller's ledger"


class EInvoiceError(ValueError):
    """The XML did not pass the Factur-X schema: the e-invoice is not sent."""


def wants_einvoice(customer: Customer, settings: DocumentSettings) -> bool:
    """Customers flagged by account, or whose currency is flagged (EUR by default)."""
    return (customer.account_number.upper() in settings.einvoice_accounts
            or customer.currency.upper() in settings.einvoice_currencies)


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _el(parent, tag: str, text=None, **attributes):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}",
                            {k: str(v) for k, v in attributes.items()})
    if text is not None:
        node.text = str(text)
    return node


def _date(parent, tag: str, value) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _tax(parent, basis: Decimal, calculated: bool) -> None:
    tax = _el(parent, "ram:ApplicableTradeTax")
    if calculated:
        _el(tax, "ram:CalculatedAmount", "0.00")
    _el(tax, "ram:TypeCode", "VAT")
    if calculated:
        _el(tax, "ram:ExemptionReason", NO_VAT_REASON)
        _el(tax, "ram:BasisAmount", _amount(basis))
    _el(tax, "ram:CategoryCode", "E")
    _el(tax, "ram:RateApplicablePercent", "0")


def invoice_xml(copy: InvoiceCopy, settings: DocumentSettings, company: str) -> bytes:
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", copy.invoice_number)
    _el(document, "ram:TypeCode", "380")
    _date(document, "ram:IssueDateTime", copy.issue_date)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(copy.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", number)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount",
            f"{line.unit_price:f}")
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity",
            f"{line.quantity:f}", unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        _tax(settlement, line.amount, calculated=False)
        _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount", _amount(line.amount))
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", copy.account_number)
    seller = _el(agreement, "ram:SellerTradeParty")
    _el(seller, "ram:Name", company)
    address = _el(seller, "ram:PostalTradeAddress")
    _el(address, "ram:LineOne", settings.company_address)
    _el(address, "ram:CountryID", settings.company_country)
    if settings.company_tax_id:
        _el(_el(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", settings.company_tax_id,
            schemeID="VA")
    buyer = _el(agreement, "ram:BuyerTradeParty")
    _el(buyer, "ram:ID", copy.account_number)
    _el(buyer, "ram:Name", copy.customer_name)
    if copy.po_number:
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID",
            copy.po_number)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", copy.invoice_number)
    _el(settlement, "ram:InvoiceCurrencyCode", copy.currency)
    if settings.epc_iban and copy.currency == "EUR":
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
            settings.epc_iban)
    line_total = sum((line.amount for line in copy.lines), Decimal("0"))
    _tax(settlement, line_total, calculated=True)
    _date(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime",
          copy.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    settled = copy.total - copy.open_amount
    _el(totals, "ram:LineTotalAmount", _amount(line_total))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(copy.total))
    _el(totals, "ram:TaxTotalAmount", "0.00", currencyID=copy.currency)
    _el(totals, "ram:GrandTotalAmount", _amount(copy.total))
    _el(totals, "ram:TotalPrepaidAmount", _amount(settled))
    _el(totals, "ram:DuePayableAmount", _amount(copy.open_amount))
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    try:
        xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:  # facturx raises a plain Exception on a schema error
        raise EInvoiceError(str(error)) from error
    return xml


def embed(pdf: bytes, xml: bytes, language: str) -> bytes:
    """The PDF/A-3 with the XML attached as factur-x.xml (relationship Data) and the
    Factur-X XMP metadata."""
    return generate_from_binary(pdf, xml, flavor="factur-x", level="en16931",
                                check_xsd=False, lang=language)
